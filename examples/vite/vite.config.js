import { defineConfig } from 'vite';

const emulator = process.env.APPWRITE_EMULATOR_URL ?? 'http://127.0.0.1:8787';

/**
 * A preload hint for the package's .wasm in the built page, so that it downloads beside the JS
 * instead of after it: the first event comes sooner on a slow link (`npm run bench`). Only the
 * main one: the live views' .wasm is fetched on the first `live()`.
 */
const preloadWasm = {
  name: 'preload-wasm',
  apply: 'build',
  transformIndexHtml: {
    order: 'post',
    handler: (html, { bundle = {} }) => Object.keys(bundle)
      .filter((name) => /appwrite_realtime_wasm_bg[^/]*\.wasm$/.test(name))
      .map((name) => ({
        tag: 'link', injectTo: 'head',
        attrs: { rel: 'preload', href: `./${name}`, as: 'fetch', type: 'application/wasm', crossorigin: true },
      })),
  },
};

export default defineConfig({
  plugins: [preloadWasm],
  // Relative asset URLs, so the built app works from any folder (the e2e test serves it from
  // /examples/vite/dist/ on the emulator).
  base: './',
  optimizeDeps: {
    // Pre-bundling would move the package's JS into node_modules/.vite/deps, away from the .wasm
    // that its `new URL('…_bg.wasm', import.meta.url)` points at.
    exclude: ['appwrite-realtime-wasm'],
  },
  server: {
    // `file:../../pkg` links the package from outside this folder; let the dev server read it.
    fs: { allow: ['.', '../../pkg'] },
    // In development the app talks to its own origin; REST calls and the socket go to the emulator.
    proxy: { '/v1': { target: emulator, ws: true } },
  },
});
