// The size budget: fails when what a realtime-only app ships (the default entry minified by
// esbuild plus the .wasm, gzip -9, as `npm run bench` measures it) exceeds size-budget.json.
// Deterministic for a given toolchain: a build either fits or it does not.
import { readFile } from 'node:fs/promises';
import { measureSizes } from '../bench/size.mjs';

const budget = JSON.parse(await readFile('size-budget.json', 'utf8'));
const { ours } = await measureSizes('.');
const total = ours.total.gzip;
console.log(`shipped size: ${total} bytes gzipped (js ${ours.parts.js.gzip} + wasm ${ours.parts.wasm.gzip}); budget ${budget.gzipBytes}`);
if (total > budget.gzipBytes) {
  console.error(`over budget by ${total - budget.gzipBytes} bytes: run 'node bench/wasm-contributors.mjs' to see what grew`);
  process.exit(1);
}
