// The classes the package exports that are written in JS rather than Rust.
import { idText, texts } from './arguments.js';
import { parseExactly } from './frames.js';

/** The package's one error class: a real Error (with a stack) carrying the server's code. */
export class RealtimeError extends Error {
  constructor(message, code, kind, cause) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'RealtimeError';
    this.code = code;
    this.kind = kind;
  }
}

export function createRealtimeError(message, code, kind, cause) {
  return new RealtimeError(message, code, kind, cause);
}

/** Throws the RealtimeError for an argument page code got wrong. */
export function refuse(message) {
  throw new RealtimeError(message, 0, 'invalid');
}

// What json-bigint, the official SDK's JSON writer, escapes as \uXXXX (json2's list).
const ESCAPED = /[\\"\u0000-\u001f\u007f-\u009f\u00ad\u0600-\u0604\u070f\u17b4\u17b5\u200c-\u200f\u2028-\u202f\u2060-\u206f\ufeff\ufff0-\uffff]/g;
const SHORT = { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r', '"': '\\"', '\\': '\\\\' };
const quote = (text) =>
  `"${text.replace(ESCAPED, (c) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;

/**
 * JSON as the official SDK writes queries: json-bigint's spelling, so bigints keep every digit,
 * non-finite numbers are null and members left undefined are left out.
 */
export function toJson(value) {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'bigint':
    case 'boolean':
      return String(value);
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(toJson)}]`;
  const members = Object.keys(value).filter((key) => value[key] !== undefined);
  return `{${members.map((key) => `${quote(key)}:${toJson(value[key])}`)}}`;
}

const VALUES_REFUSED = 'Query values must be strings, numbers, booleans, bigints or null';
const isScalar = (value) => value === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof value);

/**
 * A query on `attribute`, and where the method compares, with `value` (a scalar or a list);
 * the attribute is checked first, as before the builders moved to JS.
 */
function query(method, attribute, ...value) {
  const name = idText(attribute) ?? refuse('Query attribute must be a string');
  if (value.length === 0) return toJson({ method, attribute: name });
  const values = Array.isArray(value[0]) ? value[0] : [value[0]];
  return toJson({ method, attribute: name, values: values.every(isScalar) ? values : refuse(VALUES_REFUSED) });
}

/** A query of queries; each is read back exactly (big integers as BigInt), as the official SDK does. */
function logical(method, queries) {
  const refused = 'Query.and and Query.or take a list of queries made by Query.*';
  const nested = (texts(queries, false) ?? refuse(refused)).map((text) => {
    let value;
    try {
      value = parseExactly(text);
    } catch {
      refuse(refused);
    }
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : refuse(refused);
  });
  try {
    return toJson({ method, values: nested });
  } catch {
    return refuse(refused); // nested deeper than the stack allows
  }
}

/**
 * `limit` or `offset`: an integer from `least` (the server's range starts there) up to 2^53 - 1,
 * as a number, which the official SDK writes as given. Anything else would reach the server as
 * something other than what page code meant: a fraction, `1e+21`, `null` for NaN, a string.
 */
function count(method, value, least) {
  return Number.isSafeInteger(value) && value >= least
    ? toJson({ method, values: [value] })
    : refuse(`Query.${method} takes an integer from ${least} to 9007199254740991`);
}

/** A cursor: the id of a listed row or document; the official SDK wraps it into `values`. */
function cursor(method, id) {
  return typeof id === 'string' && id !== ''
    ? toJson({ method, values: [id] })
    : refuse(`Query.${method} takes the ID of a document or row, a non-empty string`);
}

/**
 * The query builders of the official SDK that realtime and REST lists share, and the ones for
 * the order and window of REST lists, returning its strings. They are plain JSON writing,
 * cheaper in JS than in wasm; `subscribe` checks every query against the server's realtime
 * rules in Rust either way, so it refuses the REST-only ones with the server's text.
 */
export class Query {
  static equal(attribute, value) {
    return query('equal', attribute, value);
  }
  static notEqual(attribute, value) {
    return query('notEqual', attribute, value);
  }
  static lessThan(attribute, value) {
    return query('lessThan', attribute, value);
  }
  static lessThanEqual(attribute, value) {
    return query('lessThanEqual', attribute, value);
  }
  static greaterThan(attribute, value) {
    return query('greaterThan', attribute, value);
  }
  static greaterThanEqual(attribute, value) {
    return query('greaterThanEqual', attribute, value);
  }
  static isNull(attribute) {
    return query('isNull', attribute);
  }
  static isNotNull(attribute) {
    return query('isNotNull', attribute);
  }
  /** Realtime accepts only `select(["*"])`: every event of the channels. */
  static select(attributes) {
    return toJson({ method: 'select', values: texts(attributes, false) ?? refuse('Query.select takes a list of attributes') });
  }
  static and(queries) {
    return logical('and', queries);
  }
  static or(queries) {
    return logical('or', queries);
  }
  // For REST lists only (realtime refuses them); the attribute is checked as above.
  static orderAsc(attribute) {
    return query('orderAsc', attribute);
  }
  static orderDesc(attribute) {
    return query('orderDesc', attribute);
  }
  static limit(limit) {
    return count('limit', limit, 1);
  }
  static offset(offset) {
    return count('offset', offset, 0);
  }
  static cursorAfter(documentId) {
    return cursor('cursorAfter', documentId);
  }
  static cursorBefore(documentId) {
    return cursor('cursorBefore', documentId);
  }
}
