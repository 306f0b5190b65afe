// What a connection follows besides its socket: the network, the page's visibility and
// freezing, and writes to the client's settings (src/driver.rs reacts to each).

const configWatchers = new WeakMap();

/**
 * Calls `changed` after every write to a setting in `config`, this package's `Client`'s or the
 * official SDK's (which tells nobody): while anyone watches, its settings are accessors over the
 * same values, one set however many connections watch; the last to stop puts the plain
 * properties back, with their values. A setting that cannot be redefined (a frozen `config`) is
 * read again at every heartbeat instead.
 */
function watchConfig(config, changed) {
  let watchers = configWatchers.get(config);
  if (!watchers) {
    configWatchers.set(config, (watchers = new Set()));
    watchers.plain = [];
    for (const key of ['endpoint', 'endpointRealtime', 'project', 'session', 'jwt']) {
      const plain = Object.getOwnPropertyDescriptor(config, key);
      if (!plain?.writable || !plain.configurable) continue;
      watchers.plain.push([key, plain]);
      // Redefined as an accessor, the property keeps its enumerability and configurability.
      Object.defineProperty(config, key, {
        get: () => plain.value,
        set(value) {
          plain.value = value;
          watchers.forEach((watcher) => watcher());
        },
      });
    }
  }
  watchers.add(changed);
  return () => {
    watchers.delete(changed);
    if (!watchers.size) {
      configWatchers.delete(config);
      for (const [key, plain] of watchers.plain) Object.defineProperty(config, key, plain);
    }
  };
}

/**
 * Calls `onChange(kind, flag)` on what a connection follows: `online` (the network), `visible`
 * (`visibilitychange`), `frozen` (`freeze`/`resume`, and `pagehide`/`pageshow` into and out of
 * the back-forward cache), and `config`, after every write to the client's settings. Reports a
 * hidden page or an offline browser at once. Returns a function that stops watching.
 */
export function watchChanges(onChange, client) {
  let stopClient;
  try {
    if (client) stopClient = watchConfig(client.config, () => onChange('config', true));
  } catch {} // a client whose config cannot be watched: its settings are read at every heartbeat
  const win = globalThis;
  const doc = win.document;
  if (typeof win.addEventListener !== 'function') return () => stopClient?.();
  const watched = [
    [win, 'online', () => onChange('online', true)],
    [win, 'offline', () => onChange('online', false)],
    [win, 'pagehide', (event) => { if (event.persisted) onChange('frozen', true); }],
    [win, 'pageshow', (event) => { if (event.persisted) onChange('frozen', false); }],
  ];
  if (doc) {
    watched.push(
      [doc, 'visibilitychange', () => onChange('visible', doc.visibilityState !== 'hidden')],
      [doc, 'freeze', () => onChange('frozen', true)],
      [doc, 'resume', () => onChange('frozen', false)],
    );
  }
  for (const [target, name, handler] of watched) target.addEventListener(name, handler);
  if (doc?.visibilityState === 'hidden') onChange('visible', false);
  if (win.navigator?.onLine === false) onChange('online', false);
  return () => {
    stopClient?.();
    for (const [target, name, handler] of watched) target.removeEventListener(name, handler);
  };
}
