// The inbound hot path, kept in JS so that a frame crosses into wasm once: the text is parsed
// natively (integers beyond ±(2^53 − 1) become BigInt, exactly), and Rust receives only the
// envelope it routes on, as a small JSON string, plus the frame's `data` object, which JS
// callbacks then receive as it is.

// Every integer of magnitude 2^53 or more has at least 16 digits: frames without such a run (the
// usual case) take the plain JSON.parse.
const LONG_DIGIT_RUN = /\d{16}/;
const INTEGER = /^-?\d+$/;

// Current engines show a reviver each number's source text.
const REVIVER_SEES_SOURCE = (() => {
  let seen = false;
  JSON.parse('1', (_key, value, context) => { seen = context?.source === '1'; return value; });
  return seen;
})();

const reviveFromSource = (_key, value, context) =>
  typeof value === 'number' && !Number.isSafeInteger(value) && INTEGER.test(context.source)
    ? BigInt(context.source) : value;

// Elsewhere, unsafe integer tokens are rewritten into marked strings before parsing. The
// marker's random part is drawn when the module loads, so no payload string can spell it.
const MARK = (() => {
  const words = globalThis.crypto?.getRandomValues?.(new Uint32Array(2)) ??
    [Math.random() * 2 ** 32, Math.random() * 2 ** 32];
  return `\u0000bigint-${Array.from(words, (word) => (word >>> 0).toString(36)).join('')}:`;
})();
const MARK_JSON = JSON.stringify(MARK).slice(1, -1);
// A string token, or an integer token of 16 digits or more that no fraction or exponent follows.
const STRING_OR_LONG_INTEGER = /"(?:[^"\\]|\\.)*"|-?\d{16,}(?![\d.eE])/g;
const MAX_SAFE = '9007199254740991';

function exceedsSafeInteger(token) {
  const digits = token.replace(/^-?0*/, '');
  return digits.length > MAX_SAFE.length || (digits.length === MAX_SAFE.length && digits > MAX_SAFE);
}

/** Rewrites unsafe integer tokens into marked strings; exported for the browser tests. */
export function markUnsafeIntegers(text) {
  return text.replace(STRING_OR_LONG_INTEGER, (token) =>
    token[0] !== '"' && exceedsSafeInteger(token) ? `"${MARK_JSON}${token}"` : token);
}

/** Parses marked text, turning marked strings back into BigInt; exported for the browser tests. */
export function parseMarked(text) {
  return JSON.parse(text, (_key, value) =>
    typeof value === 'string' && value.startsWith(MARK) ? BigInt(value.slice(MARK.length)) : value);
}

/** JSON.parse that keeps integers beyond ±(2^53 − 1) exact, as BigInt. */
export function parseExactly(text) {
  if (!LONG_DIGIT_RUN.test(text)) return JSON.parse(text);
  return REVIVER_SEES_SOURCE ? JSON.parse(text, reviveFromSource) : parseMarked(markUnsafeIntegers(text));
}

// The members of `data` the core routes on; the resources (`payload`, `user`, `presence`) are
// only flagged, and `events`/`timestamp` stay in `data` for the callbacks.
const ROUTED = ['channels', 'subscriptions', 'to', 'success', 'code', 'message'];
const RESOURCES = ['payload', 'user', 'presence'];

/**
 * One frame's text → [envelope JSON, data], or [undefined, reason] when it is not JSON or its
 * envelope cannot be written (a BigInt where the core expects a number).
 */
export function readFrame(text) {
  try {
    const frame = parseExactly(text);
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) return [JSON.stringify(frame), undefined];
    const data = frame.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      return [JSON.stringify({ type: frame.type, data }), undefined];
    }
    const routed = {};
    for (const key of ROUTED) if (data[key] !== undefined) routed[key] = data[key];
    for (const key of RESOURCES) if (data[key] != null) routed[key] = true;
    return [JSON.stringify({ type: frame.type, data: routed }), data];
  } catch (error) {
    return [undefined, `invalid JSON: ${error?.message ?? error}`];
  }
}

/** Hands every text frame of `socket` to `onFrame(envelope, data)`: one call into wasm each. */
export function listen(socket, onFrame) {
  socket.onmessage = (event) => {
    const [envelope, data] = readFrame(event.data);
    onFrame(envelope, data);
  };
}
