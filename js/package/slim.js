// The API without loading the wasm: `await init()` (or `initSync({ module })`) before
// `new Realtime()`; before that it throws a RealtimeError that says so.
// scripts/build appends the package's exports and fills in the snippets' folder.
import { RealtimeError } from './snippets/js/exports.js';
import { setWasmLoader, setWasmSources } from './snippets/js/loading.js';

setWasmLoader(() => {
  throw new RealtimeError(
    "appwrite-realtime-wasm/slim: await init() before using Realtime, or import 'appwrite-realtime-wasm', which does it",
    0,
    'environment',
  );
});

setWasmSources({ liveUrl: new URL('./appwrite_realtime_live_bg.wasm', import.meta.url) });

export { default, initSync } from './appwrite_realtime_wasm.js';
