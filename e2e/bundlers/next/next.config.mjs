import { fileURLToPath } from 'node:url';

// The folder whose node_modules holds the tools and the installed package (and its lockfile).
const workspace = fileURLToPath(new URL('..', import.meta.url));

export default {
  // e2e/bundlers.test.mjs builds this app twice, with webpack and with Turbopack, side by side.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  outputFileTracingRoot: workspace,
  turbopack: { root: workspace },
  // No ESLint in this workspace; the test checks the build's warnings itself.
  eslint: { ignoreDuringBuilds: true },
};
