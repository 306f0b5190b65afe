// The connection's hub, one object per connection, kept in JS: its listeners (each on*() returns a
// function that removes what it added, and a listener that throws never keeps the others from
// running), its counters for `stats()`, and the ring of its last protocol events for `debugLog()`.

const LOG_SIZE = 100;

/**
 * `off` unless `share`; `unavailable` where the browser lacks what sharing needs (Web Locks,
 * BroadcastChannel, and a digest, which only secure contexts have): a socket of its own then.
 */
export const sharingMode = (share) =>
  !share ? 'off' : typeof BroadcastChannel === 'function' && globalThis.navigator?.locks && globalThis.crypto?.subtle ? 'member' : 'unavailable';

/** The 12 characters of `[0-9a-z]` before a connection's subscription ids (core `Config::id_prefix`). */
const newIdPrefix = () => (Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2)).padEnd(12, '0').slice(0, 12);

export const idPrefixOf = (hub) => hub.idPrefix;

export function createHub(shareAcrossTabs) {
  const hub = {
    open: new Set(), close: new Set(), error: new Set(), resync: new Set(), state: new Set(),
    // Sharing across tabs (js/tabs.js): `off`, `unavailable`, `owner` or `member`; how many tabs
    // use the socket; the shared socket's counters.
    sharing: sharingMode(shareAcrossTabs), tabs: 1, shared: null,
    idPrefix: newIdPrefix(),
    /** Events the early socket handed to their callback before the engine took over. */
    eventsDeliveredEarly: 0,
    /** The last state reported, and how to report it again when only the sharing changed. */
    lastState: undefined,
    restate: () => hub.lastState && emit(hub, 'state', { ...hub.lastState, sharing: hub.sharing, tabs: hub.tabs }),
    counts: { connects: 0, reconnects: 0, framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0, callbackErrors: 0, recoveries: 0 },
    connectedSince: undefined,
    connectedBefore: 0,
    log: [],
    logged: 0,
  };
  return hub;
}

/** Adds `callback` for `kind`; the returned function removes this very registration. */
export function addListener(hub, kind, callback) {
  const set = hub[kind];
  const entry = (first, second) => callback(first, second);
  set.add(entry);
  return () => { set.delete(entry); };
}

/** Calls every listener of `kind`, after noting errors and status changes; returns how many there were. */
export function emit(hub, kind, first, second) {
  if (kind === 'error') {
    note(hub, 'local', 'error', `${first.kind} ${first.code}: ${first.message}`);
    if (first.kind === 'callback') hub.counts.callbackErrors += 1;
  } else if (kind === 'state') {
    hub.lastState = first;
    note(hub, 'local', 'state', first.retryIn === null ? first.status : `${first.status} in ${Math.round(first.retryIn)} ms`);
    const connected = first.status === 'connected';
    if (connected && hub.connectedSince === undefined) hub.connectedSince = performance.now();
    if (!connected && hub.connectedSince !== undefined) {
      hub.connectedBefore += performance.now() - hub.connectedSince;
      hub.connectedSince = undefined;
    }
  }
  const set = hub[kind];
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
export function connectionState(hub, status, retryIn, lastError, urlMode) {
  return {
    status, retryIn: retryIn < 0 ? null : retryIn, lastError: lastError ?? null, protocol: urlMode ? 'url' : 'message',
    sharing: hub.sharing, tabs: hub.tabs,
  };
}

function note(hub, direction, type, detail) {
  hub.log[hub.logged % LOG_SIZE] = [Date.now(), direction, type, detail];
  hub.logged += 1;
}

export function countFrameIn(hub, text, frame) {
  hub.counts.framesIn += 1;
  hub.counts.bytesIn += text.length; // Appwrite escapes non-ASCII: one character, one byte
  note(hub, 'in', frame?.type ?? 'unreadable', frame?.data);
}

const DIRECTIONS = { opened: 'in', closed: 'in', call: 'local', trap: 'local' };

/**
 * What the connection did, from Rust: `connect`/`reconnect` (the URL, its JWT already
 * redacted), `send` (the frame's text), `close` (the code we closed with), `opened`, `closed`
 * (the code the socket closed with); and from js/realtime.js, `call` (a call of page code,
 * without values) and `trap`.
 */
export function record(hub, kind, detail) {
  const counts = hub.counts;
  if (kind === 'send') {
    counts.framesOut += 1;
    counts.bytesOut += new TextEncoder().encode(detail).length;
    let frame;
    try { frame = JSON.parse(detail); } catch {}
    note(hub, 'out', frame?.type ?? 'unreadable', frame?.data);
    return;
  }
  if (kind === 'connect' || kind === 'reconnect') {
    counts.connects += 1;
    if (kind === 'reconnect') counts.reconnects += 1;
  }
  note(hub, DIRECTIONS[kind] ?? 'out', kind, detail);
}

/** `realtime.stats()`. */
export function statsOf(hub, eventsDelivered, roundTrip) {
  const connectedFor = hub.connectedBefore +
    (hub.connectedSince === undefined ? 0 : performance.now() - hub.connectedSince);
  return {
    ...hub.counts, eventsDelivered: eventsDelivered + hub.eventsDeliveredEarly, lastPingRoundTrip: roundTrip < 0 ? null : roundTrip, connectedFor: Math.round(connectedFor),
    shared: hub.shared,
  };
}

/** What a logged frame's `data` may show: its routing facts, never payloads, users or secrets. */
function summary(type, data) {
  if (typeof data !== 'object' || data === null) return typeof data === 'string' ? data : '';
  const list = (value) => (Array.isArray(value) ? value.join(', ') : '');
  switch (type) {
    case 'event':
      return `${list(data.events)} → subscriptions ${list(data.subscriptions)}`;
    case 'connected':
      return `${data.user ? 'signed in' : 'guest'}; subscriptions ${JSON.stringify(data.subscriptions ?? null)}`;
    case 'response':
      return `${data.to} ${data.success ? 'succeeded' : 'failed'}`;
    case 'error':
      return `${data.code}: ${data.message}`;
    case 'subscribe':
      return Array.isArray(data)
        ? data.map((row) => `${row.subscriptionId} [${list(row.channels)}] with ${row.queries?.length ?? 0} queries`).join('; ')
        : '';
    case 'unsubscribe':
      return Array.isArray(data) ? data.map((row) => row.subscriptionId).join(', ') : '';
    case 'authentication':
      return 'session [redacted]';
    default:
      return ''; // presence and others: their contents are the user's
  }
}

/** `realtime.debugLog()`: the last protocol events, oldest first. */
export function logOf(hub) {
  const size = Math.min(hub.logged, LOG_SIZE);
  const entries = [];
  for (let i = hub.logged - size; i < hub.logged; i += 1) {
    const [time, direction, type, detail] = hub.log[i % LOG_SIZE];
    entries.push({ time: new Date(time).toISOString(), direction, type, detail: summary(type, detail) });
  }
  return entries;
}
