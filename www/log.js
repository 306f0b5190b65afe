// The event log: one entry per realtime event (name, channels, server timestamp) or connection note.

const MAX_ENTRIES = 100;

export function createLog(list) {
  function add(item) {
    list.prepend(item);
    while (list.children.length > MAX_ENTRIES) list.lastElementChild.remove();
  }

  return {
    /** `subscribed` is the channel the page listens on, named first among the event's channels. */
    event(event, subscribed) {
      const name = event.events[0] ?? '';
      const item = entry('event', new Date(event.timestamp), name);
      item.dataset.action = name.split('.').pop();
      item.title = event.events.join('\n');
      // Appwrite lists every channel an event matched, mirrors included: folded to keep the log short.
      const channels = document.createElement('details');
      channels.className = 'log-channels';
      const summary = document.createElement('summary');
      const others = event.channels.filter((channel) => channel !== subscribed).length;
      summary.textContent = event.channels.includes(subscribed)
        ? `${subscribed} + ${others} more channel${others === 1 ? '' : 's'}`
        : `${others} channel${others === 1 ? '' : 's'}`;
      const list = document.createElement('span');
      list.textContent = event.channels.join('\n');
      channels.append(summary, list);
      item.append(channels);
      add(item);
    },
    note(text, kind = 'note') {
      add(entry(kind, new Date(), text));
    },
    clear() {
      list.replaceChildren();
    },
  };
}

function entry(kind, at, text) {
  const item = document.createElement('li');
  item.dataset.kind = kind;
  const time = document.createElement('time');
  time.dateTime = at.toISOString();
  time.textContent = at.toLocaleTimeString([], { hour12: false }) + `.${String(at.getMilliseconds()).padStart(3, '0')}`;
  const message = document.createElement('span');
  message.className = 'log-text';
  message.textContent = text;
  item.append(time, message);
  return item;
}
