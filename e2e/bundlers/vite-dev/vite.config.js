import { defineConfig } from 'vite';

export default defineConfig({
  // Pre-bundling would copy the package's JS into node_modules/.vite/deps, away from its .wasm.
  optimizeDeps: { exclude: ['appwrite-realtime-wasm'] },
});
