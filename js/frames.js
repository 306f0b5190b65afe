// Inbound frames (src/decode.rs receives what readFrame makes of each).
// The inbound hot path, kept in JS so that a frame crosses into wasm once: the text is parsed
// natively (integers beyond ±(2^53 − 1) become BigInt, exactly), and Rust receives only what it
// routes on (see readFrame) plus the frame's `data` object, which JS callbacks receive as it is.

import { joinItems } from './arguments.js';
import { countFrameIn } from './hub.js';

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
