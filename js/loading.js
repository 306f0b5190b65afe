// How the generated module gets its wasm. scripts/finish-package.mjs makes the generated module's
// `wasm` a placeholder that calls `wasmOnDemand()` until `init()` finished. Each entry says how
// the wasm comes:
// - the default entry fetches it on import, without waiting (no top-level await): until it is
//   there, `wasmLoading()` is that load, which js/realtime.js waits for;
// - the inline entry (the default under Node) compiles the embedded wasm synchronously at first
//   use, so an import alone never compiles anything;
// - the slim entry's loader says to call init().
//
// Copied beside the wasm-bindgen snippets by scripts/build.
let loader;
let loading;

/** Sets what loads the wasm on demand; it returns the wasm's exports or throws. */
export function setWasmLoader(load) {
  loader = load;
}

/**
 * The entry loads the wasm asynchronously: `load` resolves once it is instantiated, or rejects
 * with a RealtimeError, which every later use then throws.
 */
export function setWasmLoading(load) {
  loading = load.then(
    () => {
      loading = undefined;
    },
    (error) => {
      loading = undefined;
      loader = () => {
        throw error;
      };
      throw error;
    },
  );
  loading.catch(() => {}); // reported where the wasm is used, not as an unhandled rejection
}

/** The wasm's exports, loaded now by the loader that was set. */
export const wasmOnDemand = () => loader();

/** The load in progress, if the wasm is still on its way; `undefined` once it can be used. */
export const wasmLoading = () => loading;

let sources = {};

/**
 * Where an entry finds the wasm modules it does not load itself, merged into what was set:
 * `liveUrl`, the live views' .wasm (written in the entry, so that bundlers emit it with the
 * entry's own: Parcel 2 cannot hash a lazily loaded chunk that references an asset); `main` and
 * `live`, imports of the copies embedded in JS (modules with `wasmBytes()`) for where a .wasm does
 * not load; `only`, to use those copies without trying the .wasm (the inline entry). Only the
 * entries that import the copies make bundlers include them: the default entry offers none.
 */
export function setWasmSources(more) {
  sources = { ...sources, ...more };
}

/** What setWasmSources() offered. */
export const wasmSources = () => sources;
