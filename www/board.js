// Renders cards (documents) in the order of a live view's rows, and turns clicks into like/remove calls.

export function createBoard(list, { me, like, remove }) {
  /** `$id` → the row shown and its element. */
  let cards = new Map();
  const emptyText = list.dataset.empty;

  list.addEventListener('click', (click) => {
    const button = click.target.closest('button[data-action]');
    const card = button && cards.get(button.closest('.card').dataset.id)?.row;
    if (!card) return;
    if (button.dataset.action === 'like') like(card);
    else remove(card);
  });

  function render(card, item) {
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
    /**
     * Shows `rows` (a live view's, in its order): cards whose row object is new are drawn again,
     * the others keep their element; the cards of `flash` (ids) are highlighted briefly.
     */
    show(rows, { flash = [] } = {}) {
      list.dataset.empty = emptyText;
      const shown = new Map();
      let next = list.firstElementChild;
      for (const row of rows) {
        const card = cards.get(row.$id) ?? { row: null, item: document.createElement('li') };
        if (card.row !== row) render(row, card.item);
        card.row = row;
        shown.set(row.$id, card);
        // Moves only what is out of place, so that a card keeps its element (and focus) when it stays.
        if (card.item === next) next = next.nextElementSibling;
        else list.insertBefore(card.item, next);
      }
      for (const [id, { item }] of cards) if (!shown.has(id)) item.remove();
      cards = shown;
      for (const id of flash) {
        const item = cards.get(id)?.item;
        if (!item) continue;
        item.classList.remove('flash');
        void item.offsetWidth; // restarts the CSS animation on a card that flashed a moment ago
        item.classList.add('flash');
      }
    },
    /** Removes every card; `empty` is what the empty list says instead. */
    clear(empty) {
      cards = new Map();
      list.replaceChildren();
      list.dataset.empty = empty;
    },
  };
}

function textElement(tag, className, text) {
  const element = document.createElement(tag);
  element.className = className;
  element.textContent = text;
  return element;
}
