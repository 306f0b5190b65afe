// The inbound hot path, kept in JS so that a frame crosses into wasm once: the text is parsed
// natively (integers beyond ±(2^53 − 1) become BigInt, exactly), and Rust receives only the
// envelope it routes on, as a small JSON string, plus the frame's `data` object, which JS
// callbacks then receive as it is.

// Every integer of magnitude 2^53 or more has at least 16 digits: frames without such a run (the
// usual case) take the plain JSON.parse.
const LONG_DIGIT_RUN = /\d{16}/;
const MAX_SAFE = '9007199254740991';

// Other frames have their unsafe integer tokens rewritten into marked strings, parsed natively,
// and the marked strings turned into BigInt (a reviver would cost a call per value; this is
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

/** Turns marked strings back into BigInt, in place. */
function reviveMarked(value) {
  if (typeof value === 'string') return value.startsWith(MARK) ? BigInt(value.slice(MARK.length)) : value;
  if (typeof value === 'object' && value !== null) {
    for (const key in value) {
      const item = value[key];
      if (typeof item !== 'string' && typeof item !== 'object') continue;
      const revived = reviveMarked(item);
      // Only marked strings change; defineProperty, so a `__proto__` member stays a member.
      if (revived !== item) Object.defineProperty(value, key, { value: revived, enumerable: true, writable: true, configurable: true });
    }
  }
  return value;
}

/** Parses marked text; exported for the browser tests. */
export function parseMarked(text) {
  return reviveMarked(JSON.parse(text));
}

/** JSON.parse that keeps integers beyond ±(2^53 − 1) exact, as BigInt. */
export function parseExactly(text) {
  if (!LONG_DIGIT_RUN.test(text)) return JSON.parse(text);
  const marked = markUnsafeIntegers(text);
  return marked === text ? JSON.parse(text) : parseMarked(marked);
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
