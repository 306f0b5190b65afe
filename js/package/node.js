// The package's entry under Node (server-side rendering, test runners): Node's fetch cannot read
// file: URLs, so the .wasm next to this file is read from disk and compiled synchronously.
import { readFileSync } from 'node:fs';
import { initSync } from './appwrite_realtime_wasm.js';

initSync({ module: readFileSync(new URL('./appwrite_realtime_wasm_bg.wasm', import.meta.url)) });

export * from './appwrite_realtime_wasm.js';
export { default } from './appwrite_realtime_wasm.js';
