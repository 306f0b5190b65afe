// The default entry bundled by esbuild as ESM, with its defaults plus the README's one line: the
// .wasm files copied beside the bundle (esbuild emits no asset for new URL(…, import.meta.url)).
import { Client, Realtime, Channel } from 'appwrite-realtime-wasm';
import { run } from './app.js';

run({ Client, Realtime, Channel });
