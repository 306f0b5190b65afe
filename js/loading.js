// How the generated module gets its wasm when it is first needed before `init()` finished.
// scripts/finish-package.mjs makes the generated module's `wasm` a placeholder that calls
// `wasmOnDemand()`. Each entry that does not load the wasm on import sets the loader: the inline
// entry (the default under Node) compiles the embedded wasm synchronously, so an import alone
// never compiles anything; the slim entry's says to call init().
//
// Copied beside the wasm-bindgen snippets by scripts/build.
let loader;

/** Sets what loads the wasm on demand; it returns the wasm's exports or throws. */
export function setWasmLoader(load) {
  loader = load;
}

/** The wasm's exports, loaded now by the loader that was set. */
export const wasmOnDemand = () => loader();
