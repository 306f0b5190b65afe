// Nothing beyond entry, output and mode: webpack 5 turns the package's
// `new URL('…_bg.wasm', import.meta.url)` into an emitted asset and supports top-level await.
import { fileURLToPath } from 'node:url';

export default {
  mode: 'production',
  entry: './main.js',
  output: { path: fileURLToPath(new URL('./dist', import.meta.url)), filename: 'main.js' },
};
