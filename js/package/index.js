// The package's default entry in browsers, workers and bundlers. Importing it starts fetching and
// compiling the .wasm, without waiting for it (no top-level await, so it builds for any target):
// `Channel`, `Query` and `Client` need no wasm, and `Realtime` waits for it (js/realtime.js),
// opening its socket meanwhile.
// `appwrite-realtime-wasm/slim` is the same API without this step, for manual `init()`;
// `appwrite-realtime-wasm/inline` embeds the wasm, for tools that emit no asset for it.
// scripts/build appends the package's exports and fills in the snippets' folder.
import { wasmResponse } from './fetch-wasm.js';
import init, { initSync } from './appwrite_realtime_wasm.js';
import { RealtimeError } from './snippets/js/exports.js';
import { setWasmLoading } from './snippets/js/loading.js';

async function load() {
  try {
    return await init({ module_or_path: wasmResponse });
  } catch (cause) {
    // A server that does not serve the .wasm answers with a 404 or an HTML page (Vite's dev
    // server, which pre-bundles the JS away from it). The embedded copy, a chunk of its own that
    // bundlers split off and only this fetches, still loads; the warning says how to avoid it.
    const advice = `appwrite-realtime-wasm: the .wasm did not load (${cause}). Vite dev server: optimizeDeps: { exclude: ['appwrite-realtime-wasm'] }; Rollup, esbuild: import 'appwrite-realtime-wasm/inline'`;
    try {
      const loaded = initSync({ module: (await import('./appwrite_realtime_wasm_bg.wasm.js')).wasmBytes() });
      console.warn(`${advice}. Using the copy embedded in the JS`);
      return loaded;
    } catch {
      throw new RealtimeError(advice, 0, 'environment', cause);
    }
  }
}

const loaded = load();
setWasmLoading(loaded);

/** Resolves once the .wasm this entry started loading is ready: code written for the slim entry keeps working. */
export default function ready() {
  return loaded;
}
export { initSync } from './appwrite_realtime_wasm.js';
