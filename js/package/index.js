// The package's default entry in browsers, workers and bundlers: the .wasm is fetched and
// compiled while this module loads (top-level await), so importers use every class at once.
// `appwrite-realtime-wasm/slim` is the same API without this step, for manual `init()`.
import init from './appwrite_realtime_wasm.js';

await init();

export * from './appwrite_realtime_wasm.js';
// Calling `init()` again is harmless: code written for the slim entry keeps working here.
export { default } from './appwrite_realtime_wasm.js';
