// The JS side of the wasm boundary, in one module so that a page fetches one file for all of it
// (the wasm-bindgen test runner's server stalls now and then under many parallel module fetches):
// reading page-code arguments, reading inbound frames, opening sockets, the connection's
// listeners, counters and log, the page events it follows, and the subscription objects handed
// to page code.

import { join } from './tabs.js';

// ---- Arguments --------------------------------------------------------------------------------
// Reads what page code passes, as the official SDK reads it, and never throws: `undefined`
// means the value was refused, and the Rust caller turns that into a RealtimeError.

/** An id or a name: strings as they are; finite numbers, bigints and booleans through String(). */

export function idText(value) {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? String(value) : undefined;
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      return undefined;
  }
}

/** A channel or query: also any object with its own toString(), such as the official builders. */
function itemText(item) {
  if (typeof item === 'object' && item !== null && typeof item.toString === 'function' &&
      item.toString !== Object.prototype.toString && !Array.isArray(item)) {
    try {
      const text = item.toString();
      return typeof text === 'string' ? text : undefined;
    } catch {
      return undefined;
    }
  }
  return idText(item);
}

/**
 * Texts as one string for Rust, each preceded by "\u0001" ('' for none): one string crosses
 * the boundary more cheaply, in time and in wasm code, than a list of them.
 */
export const joinItems = (list) => (list.length ? `\u0001${list.join('\u0001')}` : '');

/**
 * One item or a list of them as strings; with `flatten`, lists nested one level deep are spread,
 * as the official SDK does with queries. `undefined` if any item is refused.
 */
export function texts(value, flatten) {
  const list = [];
  for (const item of Array.isArray(value) ? value : [value]) {
    for (const inner of flatten && Array.isArray(item) ? item : [item]) {
      const text = itemText(inner);
      if (text === undefined) return undefined;
      list.push(text);
    }
  }
  return list;
}

/** texts(), joined by joinItems for Rust; `undefined` also for a text holding "\u0001". */
export function textList(value, flatten) {
  const list = texts(value, flatten);
  return list && !list.some((text) => text.includes('\u0001')) ? joinItems(list) : undefined;
}

/**
 * The settings a realtime connection needs from any client shaped like the official SDK's
 * (`client.config`): [realtime endpoint, project, session, jwt]; or `undefined` for a value that
 * is no such client.
 */
function clientSettings(client) {
  try {
    const config = client?.config;
    if (typeof config !== 'object' || config === null) return undefined;
    const text = (value) => idText(value) ?? '';
    const realtime = text(config.endpointRealtime) ||
      text(config.endpoint).replace('https://', 'wss://').replace('http://', 'ws://');
    return [realtime, text(config.project), text(config.session), text(config.jwt)];
  } catch {
    return undefined;
  }
}

/** clientSettings(), joined by joinItems for Rust. */
export function clientConfig(client) {
  const settings = clientSettings(client);
  return settings && joinItems(settings);
}

/**
 * The session the official SDK keeps in `localStorage.cookieFallback` when third-party cookies
 * are blocked; '' when there is none or no storage (workers, sandboxed frames).
 */
export function fallbackSession(project) {
  try {
    const stored = globalThis.localStorage?.getItem('cookieFallback');
    const session = stored ? JSON.parse(stored)?.[`a_session_${project}`] : undefined;
    return typeof session === 'string' ? session : '';
  } catch {
    return '';
  }
}

/** What a thrown value says: an Error's message, or the value as text. */
export function errorText(error) {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'unknown error';
  }
}

/**
 * `upsertPresence`'s argument → [status, presenceId, metadata as JSON, permissions], with
 * `undefined` for what was left out; or the message saying what is wrong.
 */
export function presenceFields(params) {
  try {
    const { status, presenceId, metadata, permissions } = params ?? {};
    if (typeof status !== 'string') return 'Presence status is required';
    const id = presenceId == null ? undefined : idText(presenceId);
    if (presenceId != null && id === undefined) return 'Presence ID must be a string';
    const list = permissions == null ? [] : textList(permissions, false);
    if (list === undefined) return 'Presence permissions must be a list of strings';
    return [status, id, metadata == null ? undefined : JSON.stringify(metadata), list];
  } catch {
    return 'Presence must be { status, presenceId?, permissions?, metadata? } with JSON-serialisable metadata';
  }
}

/**
 * `new Realtime(client, options)`'s options: the timings in ms, in this order, 0 where left out,
 * then whether to share across tabs (unless `shareAcrossTabs: false`); or the message saying
 * which one is wrong.
 */
export function realtimeOptions(options) {
  const read = [];
  for (const name of ['heartbeatInterval', 'pongTimeout', 'reconnectDelay', 'maxReconnectDelay', 'hiddenTimeout']) {
    let value;
    try {
      value = options?.[name];
    } catch {}
    if (value !== undefined && !(typeof value === 'number' && value > 0 && value < Infinity)) {
      return `${name} must be a positive number of milliseconds`;
    }
    read.push(value ?? 0);
  }
  let share;
  try {
    share = options?.shareAcrossTabs;
  } catch {}
  if (share !== undefined && typeof share !== 'boolean') return 'shareAcrossTabs must be a boolean';
  read.push(share !== false);
  return read;
}

// ---- Inbound frames ---------------------------------------------------------------------------
// The inbound hot path, kept in JS so that a frame crosses into wasm once: the text is parsed
// natively (integers beyond ±(2^53 − 1) become BigInt, exactly), and Rust receives only what it
// routes on (see readFrame) plus the frame's `data` object, which JS callbacks receive as it is.

const MAX_SAFE = '9007199254740991';

// Frames with such integers have them rewritten into marked strings, parsed natively, and the
// marked strings turned into BigInt (a reviver would cost a call per value; this is
// about a third of that). The marker's random part is drawn when the module loads, so no
// payload string can spell it.
const MARK = (() => {
  const words = globalThis.crypto?.getRandomValues?.(new Uint32Array(2)) ??
    [Math.random() * 2 ** 32, Math.random() * 2 ** 32];
  return `\u0000bigint-${Array.from(words, (word) => (word >>> 0).toString(36)).join('')}:`;
})();
const MARK_JSON = JSON.stringify(MARK).slice(1, -1);

const isDigit = (code) => code >= 48 && code <= 57;

// `.`, `e`, `E`, `+`, `-` and digits: what may follow the integer part of a number.
const isNumberPart = (code) => isDigit(code) || code === 46 || code === 101 || code === 69 || code === 43 || code === 45;

function exceedsSafeInteger(token) {
  const digits = token.replace(/^-?0*/, '');
  return digits.length > MAX_SAFE.length || (digits.length === MAX_SAFE.length && digits > MAX_SAFE);
}

/**
 * Rewrites the integer tokens beyond ±(2^53 − 1) outside strings into marked strings; numbers
 * with a fraction or an exponent stay numbers. Exported for the browser tests.
 */
export function markUnsafeIntegers(text) {
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === 34) { // a string: jump to its closing quote, past escaped ones
      for (;;) {
        const quote = text.indexOf('"', i + 1);
        if (quote < 0) return text; // unterminated: JSON.parse will say so
        let backslashes = 0;
        while (text.charCodeAt(quote - 1 - backslashes) === 92) backslashes += 1;
        i = quote;
        if (backslashes % 2 === 0) break;
      }
      i += 1;
    } else if (isDigit(code) || code === 45) {
      const start = i;
      i += 1;
      while (isDigit(text.charCodeAt(i))) i += 1;
      if (!isNumberPart(text.charCodeAt(i)) && i - start >= 16 && exceedsSafeInteger(text.slice(start, i))) {
        out += `${text.slice(copied, start)}"${MARK_JSON}${text.slice(start, i)}"`;
        copied = i;
      }
      while (isNumberPart(text.charCodeAt(i))) i += 1; // a fraction or exponent: not an integer
    } else {
      i += 1;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}

// What may stand before and after an integer token outside strings: `:`, `[`, `,`, `]`, `}` and
// JSON whitespace.
const isTokenEdge = (code) => code === 58 || code === 91 || code === 44 || code === 93 || code === 125 ||
  code === 32 || code === 10 || code === 13 || code === 9 || Number.isNaN(code);

/**
 * The quick way to mark. Every integer of magnitude 2^53 or more has a run of 16 digits, which
 * covers one position in every 16: only those positions are probed (some 5x faster than
 * /\d{16}/ on a 1.8 KB frame, and frames without such a run, the usual case, pay nothing more).
 * Each unsafe integer found is marked, judged by its neighbours alone: a run inside a string may
 * be marked too, but then the result is no JSON (the mark's leading backslash lands outside a
 * string), and the caller takes the careful way. Returns [text, marks made].
 */
function markByNeighbours(text) {
  let out = '';
  let copied = 0;
  let marks = 0;
  for (let probe = 15; probe < text.length; probe += 16) {
    if (!isDigit(text.charCodeAt(probe))) continue;
    let start = probe;
    while (start > 0 && isDigit(text.charCodeAt(start - 1))) start -= 1;
    let end = probe + 1;
    while (isDigit(text.charCodeAt(end))) end += 1;
    while (probe + 16 < end) probe += 16;
    if (end - start < 16) continue;
    if (text.charCodeAt(start - 1) === 45) start -= 1;
    if (isTokenEdge(text.charCodeAt(start - 1)) && isTokenEdge(text.charCodeAt(end)) &&
        exceedsSafeInteger(text.slice(start, end))) {
      out += `${text.slice(copied, start)}"${MARK_JSON}${text.slice(start, end)}"`;
      copied = end;
      marks += 1;
    }
  }
  return marks === 0 ? [text, 0] : [out + text.slice(copied), marks];
}

/** The BigInt a marked string stands for, or `undefined` for any other value. */
const marked = (item) => (typeof item === 'string' && item.charCodeAt(0) === 0 && item.startsWith(MARK)
  ? BigInt(item.slice(MARK.length)) : undefined);

/**
 * Turns `left.count` marked strings back into BigInt, in place, and stops once none is left.
 * Lists are walked by index: for...in over an array, or Object.keys, is several times slower.
 */
function reviveMarked(value, left) {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length && left.count > 0; i += 1) {
      const item = value[i];
      const big = marked(item);
      if (big !== undefined) {
        value[i] = big;
        left.count -= 1;
      } else if (typeof item === 'object' && item !== null) {
        reviveMarked(item, left);
      }
    }
    return;
  }
  for (const key in value) {
    if (left.count === 0) return;
    const item = value[key];
    const big = marked(item);
    if (big !== undefined) {
      // A `__proto__` member must stay a member, not become the prototype.
      if (key === '__proto__') Object.defineProperty(value, key, { value: big, enumerable: true, writable: true, configurable: true });
      else value[key] = big;
      left.count -= 1;
    } else if (typeof item === 'object' && item !== null) {
      reviveMarked(item, left);
    }
  }
}

/** Parses text with `marks` marked strings (as many as there may be, if unknown). */
export function parseMarked(text, marks = Infinity) {
  const value = JSON.parse(text);
  if (typeof value === 'object' && value !== null) reviveMarked(value, { count: marks });
  return value;
}

/** JSON.parse that keeps integers beyond ±(2^53 − 1) exact, as BigInt. */
export function parseExactly(text) {
  const [quick, marks] = markByNeighbours(text);
  if (marks === 0) return JSON.parse(text);
  try {
    return parseMarked(quick, marks);
  } catch {
    // A run inside a string was marked: mark string by string.
    return parseMarked(markUnsafeIntegers(text));
  }
}

// An event, the frame that matters for speed, goes as "\u0002" + its channels + "\u0002" + its
// subscription ids, each list joined by joinItems: no JSON to write or read.
// Other frames go as a JSON envelope of the members of `data` the core routes on; the resources
// (`payload`, `user`, `presence`) are only flagged, and `events`/`timestamp` stay in `data` for
// the callbacks.
const ROUTED = ['channels', 'subscriptions', 'to', 'success', 'code', 'message'];
const RESOURCES = ['payload', 'user', 'presence'];

/**
 * One frame's text → [envelope JSON, data], or [undefined, reason] when it is not JSON or its
 * envelope cannot be written (a BigInt where the core expects a number). With a `hub`, the frame
 * is counted and logged.
 */
export function readFrame(text, hub) {
  try {
    const frame = parseExactly(text);
    if (hub) countFrameIn(hub, text, frame);
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) return [JSON.stringify(frame), undefined];
    const data = frame.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      return [JSON.stringify({ type: frame.type, data }), undefined];
    }
    if (frame.type === 'event' && data.payload != null && isTextList(data.channels) &&
        isTextList(data.subscriptions ?? [])) {
      return [`\u0002${joinItems(data.channels)}\u0002${joinItems(data.subscriptions ?? [])}`, data];
    }
    const routed = {};
    for (const key of ROUTED) if (data[key] !== undefined) routed[key] = data[key];
    for (const key of RESOURCES) if (data[key] != null) routed[key] = true;
    return [JSON.stringify({ type: frame.type, data: routed }), data];
  } catch (error) {
    if (hub) countFrameIn(hub, text, undefined);
    return [undefined, `invalid JSON: ${error?.message ?? error}`];
  }
}

const isTextList = (value) => Array.isArray(value) && value.every((item) => typeof item === 'string');

/**
 * A promise and the functions that settle it: in JS, js_sys::Promise::new would bring a closure
 * shim and a fallback that compiles a function from a string, which a strict
 * Content-Security-Policy forbids.
 */
export function deferred() {
  let settle;
  const promise = new Promise((resolve, reject) => (settle = [resolve, reject]));
  return [promise, ...settle];
}

// Plain JS rather than js_sys::global(), which brings four global lookups into the glue.
export const hasWebSocket = () => typeof WebSocket === 'function';

/**
 * Hands every text frame of `socket` to `onFrame(envelope, data)`, one call into wasm each,
 * after counting and logging it in `hub`.
 */
export function listen(socket, hub, onFrame) {
  socket.onmessage = (event) => {
    const [envelope, data] = readFrame(event.data, hub);
    onFrame(envelope, data);
  };
}

// ---- Sockets ----------------------------------------------------------------------------------
// A WebSocket, or where the connection shares across tabs (the default), a stand-in that
// js/tabs.js joins to the socket the origin's tabs share.

/**
 * `off` unless `share`; `unavailable` where the browser lacks what sharing needs (Web Locks,
 * BroadcastChannel, and a digest, which only secure contexts have): a socket of its own then.
 */
export const sharingMode = (share) =>
  !share ? 'off' : typeof BroadcastChannel === 'function' && globalThis.navigator?.locks && globalThis.crypto?.subtle ? 'member' : 'unavailable';

const shares = (hub) => hub.sharing !== 'off' && hub.sharing !== 'unavailable';

/**
 * An object the driver uses like a WebSocket, joined to the group of `url` and `session`
 * (js/tabs.js): it sends only after `onopen`, and `readyState` says whether it is open.
 */
function sharedSocket(url, session, hub) {
  // Refused at once, as the WebSocket constructor refuses it: the socket is opened later.
  const parsed = new URL(url);
  if (!/^wss?:$/.test(parsed.protocol) || parsed.hash) throw new SyntaxError(`The URL '${url}' is invalid for a WebSocket`);
  const socket = {
    readyState: 0,
    send: (text) => socket.shared?.send(text),
    close: (code) => {
      socket.closed = true;
      socket.readyState = 3;
      socket.shared?.close(code);
    },
  };
  join(socket, url, session ?? '', hub);
  return socket;
}

/**
 * The connection's socket to `url`: the one opened early for it (openEarly), a WebSocket, or
 * where the connection shares, a socket of the group of `url` and `session`.
 */
export function openSocket(url, session, hub) {
  // The driver has one socket at a time: the last opened is the one to close after a trap.
  hub.socket = claimEarly(hub, url) ?? (shares(hub) ? sharedSocket(url, session, hub) : new WebSocket(url));
  return hub.socket;
}

/** Closes the connection's socket with no handler left to call, as src/socket.rs drops one: its engine trapped. */
export function closeSocket(hub) {
  const socket = hub.socket;
  if (!socket) return;
  socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
  socket.close(1000);
  hub.socket = undefined;
}

// ---- The early socket -------------------------------------------------------------------------
// While the wasm loads, a first subscription opens the socket the engine will ask for (the URL
// as the core writes it for a server of 1.9.5 or later), so that the handshake and the server's
// `connected` overlap the download. Once `connected` came, it also sends that subscription's
// `subscribe` row, under the id the engine gives it (every subscribe call takes the next one),
// and once the server answered the row, the `authentication` the engine would send (for a
// session set on the client or kept by the official SDK in localStorage, when `connected` names
// no user). It hands that row's events to the subscription's callback as they come, decoded as
// the engine would (readFrame): the first event does not wait for the wasm. The socket's frames
// wait in the hub until the engine claims it and adopts what was sent (takeEarlySent,
// takeEarlySession); those already delivered are only counted and logged then. An early socket
// that its subscription does not claim (the engine refused it) is closed, and its row with it
// (js/realtime.js).

/** The 12 characters of `[0-9a-z]` before a connection's subscription ids (core `Config::id_prefix`). */
const newIdPrefix = () => (Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2)).padEnd(12, '0').slice(0, 12);

export const idPrefixOf = (hub) => hub.idPrefix;

/** Bytes a row's channels may take here, well within the core's limit for one subscription. */
const EARLY_ROW_LIMIT = 16_384;

/** How long the engine's start-up waits at most for the server to answer the early row (ms). */
const EARLY_SETTLE_LIMIT = 2_000;

/**
 * Opens the early socket for `client`'s settings, for the subscription made `ordinal`-th on this
 * connection, whose events go to `deliver(data)` until the engine takes over; whether it did.
 */
export function openEarly(hub, client, ordinal, channels, queries, deliver) {
  const [realtime, project, clientSession, jwt] = clientSettings(client) ?? [];
  if (hub.early || !hasWebSocket() || !project || !/^wss?:\/\//.test(realtime)) return false;
  const url = `${realtime}/realtime?project=${encodeURIComponent(project)}${jwt ? `&jwt=${encodeURIComponent(jwt)}` : ''}`;
  // The session the engine would authenticate with: the client's, or the official SDK's
  // fallback. A socket of its own reads it while the handshake is in flight (a page's first
  // localStorage read loads the origin's storage: 1.5 to 17 ms measured); a shared one first,
  // for it names the group to join.
  const shared = shares(hub);
  let session = shared ? clientSession || fallbackSession(project) : undefined;
  let socket;
  try {
    socket = shared ? sharedSocket(url, session, hub) : new WebSocket(url);
  } catch {
    return false;
  }
  session ??= clientSession || fallbackSession(project);
  // The engine keeps the first of repeated channels, as Set does.
  const subscriptionId = `${hub.idPrefix}-${ordinal}`;
  const rowChannels = [...new Set(texts(channels, false) ?? [])];
  const early = { url, socket, events: [], sent: undefined, deliver };
  // Settled once the server answered the row (or the socket closed, or the row cannot go out):
  // the engine's start-up waits for it (js/realtime.js), or for EARLY_SETTLE_LIMIT at most. With
  // true when the server took the row, which the subscription's promise may then say.
  early.settled = new Promise((resolve) => { early.settle = resolve; });
  setTimeout(early.settle, EARLY_SETTLE_LIMIT);
  socket.onopen = (event) => early.events.push(event);
  socket.onclose = (event) => {
    early.events.push(event);
    early.settle();
  };
  const rowQueries = texts(queries ?? [], true) ?? [];
  const row = [subscriptionId, ...rowChannels, '\u0002', ...rowQueries];
  const plain = (list) => list.every((text) => !/[\u0001\u0002]/.test(text));
  const sendable = rowChannels.length > 0 && plain(rowChannels) && plain(rowQueries) &&
    JSON.stringify(row).length <= EARLY_ROW_LIMIT;
  socket.onmessage = (event) => {
    // An event of the row is one the engine would route to this subscription alone: the row's
    // id among those the server names, and a channel of the row among the event's.
    const [route, data] = early.sent && early.deliver ? readFrame(event.data) : [];
    const delivered = route?.[0] === '\u0002' && data.subscriptions?.includes(subscriptionId) &&
      data.channels.some((channel) => rowChannels.includes(channel));
    early.events.push(delivered ? { type: 'delivered', data: event.data } : event);
    if (delivered) {
      hub.eventsDeliveredEarly += 1;
      early.deliver(data);
      return;
    }
    const frame = readJson(event.data);
    if (!early.sent) {
      if (frame?.type !== 'connected') return;
      if (!sendable) return early.settle();
      const text = JSON.stringify({ type: 'subscribe', data: [{ subscriptionId, channels: rowChannels, queries: rowQueries }] });
      socket.send(text);
      // As the engine does: the session goes in-band when `connected` names no user.
      early.sent = { row, text, session: frame.data?.user ? '' : session };
      return;
    }
    const answer = frame?.type === 'response' && frame.data?.to === 'subscribe' ? frame.data : undefined;
    // After the row's answer, as the engine does: a server may drop a connection that
    // authenticates with no subscription.
    if (answer && early.sent.session && !early.sent.authentication) {
      early.sent.authentication = JSON.stringify({ type: 'authentication', data: { session: early.sent.session } });
      socket.send(early.sent.authentication);
    }
    early.settle(answer?.success === true); // the row's answer, or a frame only the engine handles
  };
  hub.early = early;
  return true;
}

function readJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The early socket, if it was opened for `url`, even closed: the engine then learns of the close
 * as of any lost socket, and restores the subscription with an `onResync`, for its promise may
 * have resolved and events have come. The caller sets its handlers in this task; the events that
 * came before reach them next, ahead of any later event.
 */
function claimEarly(hub, url) {
  const early = hub.early;
  hub.early = undefined;
  if (!early) return undefined;
  if (early.url !== url) {
    early.socket.close();
    return undefined;
  }
  if (early.sent) {
    hub.earlySent = early.sent.row;
    // Logged once the connection that sent them is.
    record(hub, 'send', early.sent.text);
    if (early.sent.authentication) {
      hub.earlySession = early.sent.session;
      record(hub, 'send', early.sent.authentication);
    }
  }
  queueMicrotask(() => {
    for (const event of early.events) {
      if (event.type === 'delivered') readFrame(event.data, hub);
      else early.socket[`on${event.type}`]?.(event);
    }
  });
  return early.socket;
}

/** Ends the early socket's deliveries, if there is one: its caller went away. */
export function stopEarlyDeliveries(early) {
  if (early) early.deliver = undefined;
}

/** The row sent on the socket openSocket just handed over, once: `[wire id, ...channels, '\u0002', ...queries]` joined by joinItems. */
export function takeEarlySent(hub) {
  const sent = hub.earlySent;
  hub.earlySent = undefined;
  return sent && joinItems(sent);
}

/** The session of the `authentication` sent on the socket openSocket just handed over, once. */
export function takeEarlySession(hub) {
  const session = hub.earlySession;
  hub.earlySession = undefined;
  return session;
}

/** Closes the early socket nobody claimed. */
export function discardEarly(hub) {
  hub.early?.socket.close();
  hub.early = undefined;
}

// ---- The connection's hub ----------------------------------------------------------------------
// One object per connection, kept in JS: its listeners (each on*() returns a function that removes
// what it added, and a listener that throws never keeps the others from running), its counters
// for `stats()`, and the ring of its last protocol events for `debugLog()`.

const LOG_SIZE = 100;

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

function countFrameIn(hub, text, frame) {
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

// ---- Subscription objects ---------------------------------------------------------------------
// What `subscribe` resolves with and what the legacy `client.subscribe` returns: arrow functions,
// so page code may destructure them.
export function subscriptionObject(handle) {
  return {
    unsubscribe: () => handle.unsubscribe(),
    update: (changes) => handle.update(changes),
    close: () => handle.close(),
  };
}

export function unsubscribeFunction(handle) {
  return () => { handle.unsubscribe(); };
}
