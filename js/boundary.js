// The one place where JS calls into the wasm. scripts/finish-package.mjs routes every export of
// each generation of the wasm (js/realtime.js makes a new one after a trap) through
// `guardExports`. An exception that leaves a call into the wasm means the wasm stopped mid-way
// (a Rust panic is a trap in the shipped build; a JS exception thrown through it unwinds it the
// same way): its borrows and allocator may be left in any state, so the generation is dead from
// then on. The listeners hear of the trap; the call, and every later call into that generation,
// returns `undefined` and does nothing. Nothing is thrown: the caller may be a socket's or a
// timer's callback, or js/tabs.js relaying a frame to other tabs, none of which could act on it.
//
// Copied beside the wasm-bindgen snippets by scripts/build.
import { createRealtimeError } from './exports.js';

const trapListeners = new Set();

/** Calls `listener(error)` after each trap, with the RealtimeError (`kind: 'internal'`) it became. */
export function onTrap(listener) {
  trapListeners.add(listener);
}

/** A RealtimeError for a trap, with what it was as its cause. */
function internalError(cause) {
  const what = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return createRealtimeError(`The realtime engine stopped on an internal error (${what})`, 0, 'internal', cause);
}

/** The exports of one instance, each function guarded as said above. */
export function guardExports(exports) {
  let trapped = false;
  const guarded = {};
  for (const [name, value] of Object.entries(exports)) {
    guarded[name] = typeof value !== 'function' ? value : (...args) => {
      if (trapped) return undefined;
      try {
        return value(...args);
      } catch (cause) {
        trapped = true;
        const error = internalError(cause);
        for (const listener of trapListeners) listener(error);
        return undefined;
      }
    };
  }
  return guarded;
}
