// Renders cards (documents) as a list, newest first, and turns clicks into like/remove calls.

export function createBoard(list, { me, like, remove }) {
  const cards = new Map();

  list.addEventListener('click', (click) => {
    const button = click.target.closest('button[data-action]');
    const card = button && cards.get(button.closest('.card').dataset.id);
    if (!card) return;
    if (button.dataset.action === 'like') like(card);
    else remove(card);
  });

  function render(card) {
    const item = document.getElementById(`post-${card.$id}`) ?? document.createElement('li');
    item.id = `post-${card.$id}`;
    item.className = 'card';
    item.dataset.id = card.$id;
    item.dataset.status = card.status ?? 'published';
    const author = card.author ? (card.author === me ? 'you' : card.author) : 'seed data';
    item.replaceChildren(
      textElement('p', 'card-title', card.title ?? '(untitled)'),
      textElement('p', 'card-meta', `${item.dataset.status} · by ${author}`),
      actions(card),
    );
    return item;
  }

  function actions(card) {
    const row = textElement('div', 'card-actions', '');
    const likeButton = textElement('button', 'like', '♥ ');
    likeButton.type = 'button';
    likeButton.dataset.action = 'like';
    likeButton.setAttribute('aria-label', `Like "${card.title}"`);
    likeButton.append(textElement('span', 'likes', String(card.likes ?? 0)));
    const removeButton = textElement('button', 'remove', '✕');
    removeButton.type = 'button';
    removeButton.dataset.action = 'remove';
    removeButton.setAttribute('aria-label', `Delete "${card.title}"`);
    row.append(likeButton, removeButton);
    return row;
  }

  return {
    /** Replaces every card with `documents` (the REST list, oldest first). */
    reset(documents) {
      cards.clear();
      list.replaceChildren();
      for (const card of documents) this.upsert(card, { changed: false });
    },
    /** Adds or replaces a card; `changed` highlights it briefly. */
    upsert(card, { changed }) {
      const isNew = !cards.has(card.$id);
      cards.set(card.$id, card);
      const item = render(card);
      if (isNew) list.prepend(item);
      if (changed) {
        item.classList.remove('flash');
        void item.offsetWidth; // restarts the CSS animation on a card that flashed a moment ago
        item.classList.add('flash');
      }
    },
    remove(id) {
      cards.delete(id);
      document.getElementById(`post-${id}`)?.remove();
    },
  };
}

function textElement(tag, className, text) {
  const element = document.createElement(tag);
  element.className = className;
  element.textContent = text;
  return element;
}
