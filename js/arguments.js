// Page code's arguments, for src/args.rs, js/realtime.js and the JS classes.
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
export function clientSettings(client) {
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

export const CALLBACK_REFUSED = 'The callback must be a function';

/** Why the engine would refuse a subscription (src/args.rs), or `undefined`: JS refuses it at once, also while the wasm loads. */
export function subscriptionRefusal(channels, callback, queries) {
  const list = texts(channels, false);
  if (!list) return 'Channels must be strings or Channel builders';
  if (!list.length) return 'At least one channel is required';
  if (!list.every((channel) => channel.trim())) return 'Channel is required';
  if (typeof callback !== 'function') return CALLBACK_REFUSED;
  if (queries != null && !texts(queries, true)) return 'Queries must be strings or Query builders';
  return undefined;
}

/** What a subscription call logs for `debugLog()`: its channels and how many queries, never their values. */
export const described = (name, channels, queries) =>
  `${name} [${texts(channels, false)?.join(', ')}]${queries == null ? '' : ` with ${texts(queries, true)?.length} queries`}`;

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
