// The listeners of one connection, kept in JS: each on*() returns a function that removes what
// it added, and a listener that throws never keeps the others from running.

export function createListeners() {
  return { open: new Set(), close: new Set(), error: new Set(), resync: new Set(), state: new Set() };
}

/** Adds `callback` for `kind`; the returned function removes this very registration. */
export function addListener(listeners, kind, callback) {
  const set = listeners[kind];
  const entry = (first, second) => callback(first, second);
  set.add(entry);
  return () => { set.delete(entry); };
}

/** Calls every listener of `kind`; returns how many there were. */
export function emit(listeners, kind, first, second) {
  const set = listeners[kind];
  for (const listener of [...set]) {
    try {
      listener(first, second);
    } catch (error) {
      queueMicrotask(() => { throw error; }); // reported as uncaught, after the others ran
    }
  }
  return set.size;
}

/** What `realtime.state` gives. */
export function connectionState(status, retryIn, lastError) {
  return { status, retryIn: retryIn < 0 ? null : retryIn, lastError: lastError ?? null };
}

/** Calls `onChange(online)` on the page's `online` and `offline` events; returns a stopper. */
export function watchNetwork(onChange) {
  const target = globalThis;
  if (typeof target.addEventListener !== 'function') return () => {};
  const online = () => onChange(true);
  const offline = () => onChange(false);
  target.addEventListener('online', online);
  target.addEventListener('offline', offline);
  return () => {
    target.removeEventListener('online', online);
    target.removeEventListener('offline', offline);
  };
}
