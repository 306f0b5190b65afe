// The bench's Rollup 4 build (bench/first-event-tools.mjs), as e2e/bundlers/rollup has it:
// @rollup/plugin-node-resolve for the browser, ES output in dist/, no minifier (Rollup has none by
// default). Plus @rollup/plugin-commonjs, which the official SDK needs (its json-bigint dependency
// is CommonJS; node-resolve alone fails with '"default" is not exported'); it is in both builds so
// both are built the same way, and changes nothing in ours, which has no CommonJS.
import { nodeResolve } from '@rollup/plugin-node-resolve';
import commonjs from '@rollup/plugin-commonjs';

export default {
  input: 'main.js',
  output: { dir: 'dist', format: 'es' },
  plugins: [nodeResolve({ browser: true }), commonjs()],
};
