// The package's default entry in browsers, workers and bundlers. Importing it starts fetching and
// compiling the .wasm, without waiting for it (no top-level await, so it builds for any target):
// `Channel`, `Query` and `Client` need no wasm, and `Realtime` waits for it (js/realtime.js),
// opening its socket meanwhile.
// It imports no copy of the wasm embedded in JS: bundlers follow every `import()`, and esbuild
// without code splitting would put that copy (56 KB gzipped) in every app's bundle, ahead of the
// first event. Under the `development` condition (Vite's dev server, which pre-bundles the JS
// away from its .wasm) the package resolves to index-dev.js, which offers that copy.
// `appwrite-realtime-wasm/slim` is the same API without this step, for manual `init()`;
// `appwrite-realtime-wasm/inline` embeds the wasm, for tools that emit no asset for it.
// scripts/build appends the package's exports and fills in the snippets' folder.
import { liveWasmUrl, wasmResponse } from './fetch-wasm.js';
import init, { initSync } from './appwrite_realtime_wasm.js';
import { RealtimeError } from './snippets/js/exports.js';
import { setWasmLoading, setWasmSources, wasmSources } from './snippets/js/loading.js';

async function load() {
  try {
    return await init({ module_or_path: wasmResponse });
  } catch (cause) {
    // A server that does not serve the .wasm answers with a 404 or an HTML page: a bundler that
    // emits no asset for `new URL(…, import.meta.url)` (esbuild, Rollup), or Vite's dev server.
    const advice = `appwrite-realtime-wasm: the .wasm did not load (${cause}). esbuild, Rollup: cp node_modules/appwrite-realtime-wasm/*.wasm <output folder>, or import 'appwrite-realtime-wasm/inline'; Vite dev server: optimizeDeps: { exclude: ['appwrite-realtime-wasm'] }`;
    const { main } = wasmSources();
    if (!main) throw new RealtimeError(advice, 0, 'environment', cause);
    try {
      const loaded = initSync({ module: (await main()).wasmBytes() });
      console.warn(`${advice}. Using the copy embedded in the JS`);
      return loaded;
    } catch {
      throw new RealtimeError(advice, 0, 'environment', cause);
    }
  }
}

setWasmSources({ liveUrl: liveWasmUrl });
const loaded = load();
setWasmLoading(loaded);

/** Resolves once the .wasm this entry started loading is ready: code written for the slim entry keeps working. */
export default function ready() {
  return loaded;
}
export { initSync } from './appwrite_realtime_wasm.js';
