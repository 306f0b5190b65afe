// Transfer size of each SDK as a realtime-only app ships it: minified by esbuild, then raw,
// gzip -9 and brotli q11 bytes per file, as a server would compress each file.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** The imports a realtime-only app takes from the official SDK. */
export const officialEntry = "export { Client, Realtime, Channel, Query } from 'appwrite';";

function measureBytes(bytes) {
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

function sumOf(parts) {
  const total = { raw: 0, gzip: 0, brotli: 0 };
  for (const part of Object.values(parts)) {
    for (const key of Object.keys(total)) total[key] += part[key];
  }
  return total;
}

async function minifiedBundle(options) {
  const result = await build({ bundle: true, write: false, minify: true, format: 'esm', logLevel: 'silent', ...options });
  return result.outputFiles[0].contents;
}

/** The module the entry imports dynamically, which bundlers split off: the live views' chunk, only on the first live() (js/live.js). */
const ON_DEMAND = ['./live.js'];

export async function measureSizes(root) {
  const oursParts = {
    js: measureBytes(await minifiedBundle({ entryPoints: [join(root, 'pkg/index.js')], external: ON_DEMAND })),
    wasm: measureBytes(await readFile(join(root, 'pkg/appwrite_realtime_wasm_bg.wasm'))),
  };
  // What the first live() loads: its chunk (with the modules it shares with the entry, so an
  // upper bound) and its .wasm; the embedded copy only where that .wasm does not load.
  const [snippets] = await readdir(join(root, 'pkg/snippets'));
  const liveParts = {
    js: measureBytes(await minifiedBundle({
      entryPoints: [join(root, 'pkg/snippets', snippets, 'js/live.js')],
    })),
    wasm: measureBytes(await readFile(join(root, 'pkg/appwrite_realtime_live_bg.wasm'))),
  };
  // stdin with resolveDir at the repository root, so `appwrite` resolves from its node_modules.
  const officialParts = {
    js: measureBytes(await minifiedBundle({ stdin: { contents: officialEntry, resolveDir: root, loader: 'js' } })),
  };
  // The inline entry (Rollup, esbuild, no top-level await): one file with the wasm in base64.
  const inline = measureBytes(await minifiedBundle({ entryPoints: [join(root, 'pkg/inline.js')] }));
  return {
    ours: { parts: oursParts, total: sumOf(oursParts), inline, live: { parts: liveParts, total: sumOf(liveParts) } },
    official: { parts: officialParts, total: sumOf(officialParts) },
  };
}
