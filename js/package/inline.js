// The entry with the wasm embedded (base64), for tools that emit no asset for the .wasm (Rollup,
// esbuild), for code that may not use top-level await, and under Node (server-side rendering,
// test runners, server bundles). Nothing is compiled on import: the first `new Realtime()`
// compiles the wasm synchronously, which every engine allows at this size.
// scripts/build appends the package's exports and fills in the snippets' folder.
import { initSync } from './appwrite_realtime_wasm.js';
import { setWasmLoader, setWasmSources } from './snippets/js/loading.js';
import { wasmBytes } from './appwrite_realtime_wasm_bg.wasm.js';

setWasmLoader(() => initSync({ module: wasmBytes() }));
// The live views' wasm, embedded too: a chunk that bundlers which split load on the first live().
setWasmSources({ live: () => import('./appwrite_realtime_live_bg.wasm.js'), only: true });

export { default, initSync } from './appwrite_realtime_wasm.js';
