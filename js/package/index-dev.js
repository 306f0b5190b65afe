// The default entry under the `development` condition (Vite's dev server, webpack and Next.js in
// development): the same, plus the copies of the wasm embedded in JS, for where a .wasm does not
// load. Vite's dev server pre-bundles the package's JS away from its .wasm files, and answers
// their URLs with its HTML page; the copies are chunks of their own, fetched only then.
// scripts/build appends the package's exports and fills in the snippets' folder.
import { setWasmSources } from './snippets/js/loading.js';

setWasmSources({
  main: () => import('./appwrite_realtime_wasm_bg.wasm.js'),
  live: () => import('./appwrite_realtime_live_bg.wasm.js'),
});

export { default, initSync } from './index.js';
