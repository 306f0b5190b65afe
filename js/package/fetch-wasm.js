// The default entry's first import, so the .wasm download starts before any other module of the
// package is evaluated (and before wasm-bindgen builds its import object, which on a slow phone
// costs about as long as the download of our JS).
const url = new URL('./appwrite_realtime_wasm_bg.wasm', import.meta.url);

/** The .wasm's response, on its way; rejects where there is no `fetch`. */
export const wasmResponse = typeof fetch === 'function' ? fetch(url) : Promise.reject(new Error('no fetch() here'));
wasmResponse.catch(() => {}); // handled where it is awaited: init() or the embedded copy

/** The live views' .wasm, fetched on the first live() only (js/live.js). */
export const liveWasmUrl = new URL('./appwrite_realtime_live_bg.wasm', import.meta.url);
