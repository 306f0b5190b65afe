// Writes pkg/package.json (or the package.json of the folder named by the first argument) for the generated npm package, from Cargo.toml's metadata.
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';

const out = process.argv[2] ?? 'pkg';

const cargo = readFileSync('Cargo.toml', 'utf8');
const packageSection = cargo.slice(cargo.indexOf('[package]'));
const field = (name) => packageSection.match(new RegExp(`^${name} = "([^"]*)"`, 'm'))?.[1];
const workspaceField = (name) => cargo.match(new RegExp(`^${name} = "([^"]*)"`, 'm'))?.[1];

const crate = 'appwrite_realtime_wasm';
const types = `./${crate}.d.ts`;
const manifest = {
  name: field('name'),
  version: field('version'),
  description: field('description'),
  license: workspaceField('license'),
  repository: { type: 'git', url: workspaceField('repository') },
  type: 'module',
  main: './index.js',
  module: './index.js',
  types,
  exports: {
    // Every entry re-exports the same generated module, so the classes are shared between them.
    // `.` fetches the .wasm on import in browsers and bundlers; under Node (server rendering,
    // server bundles, test runners) it is the inline entry, which compiles nothing on import.
    // `development` (Vite's dev server, webpack and Next.js in development): the same, with the
    // embedded copies of the wasm for a dev server that does not serve the .wasm files.
    '.': { types, node: './inline.js', development: './index-dev.js', default: './index.js' },
    './inline': { types, default: './inline.js' },
    './slim': { types, default: './slim.js' },
    [`./${crate}_bg.wasm`]: `./${crate}_bg.wasm`,
    './appwrite_realtime_live_bg.wasm': './appwrite_realtime_live_bg.wasm',
    './package.json': './package.json',
  },
  // TypeScript's `node10` resolution reads no `exports`: the subpaths' declarations by name.
  typesVersions: { '*': { inline: [types], slim: [types] } },
  files: readdirSync(out).filter((name) => name !== 'package.json' && name !== '.gitignore'),
  // The entries that load the wasm or set its loader, and the fetch the default entry starts
  // first; the inline snippets (nested under snippets/) are kept whole. The generated module and
  // the slim entry only declare.
  sideEffects: ['./index.js', './index-dev.js', './fetch-wasm.js', './inline.js', './snippets/**'],
  keywords: ['appwrite', 'realtime', 'websocket', 'wasm'],
};
writeFileSync(`${out}/package.json`, JSON.stringify(manifest, null, 2) + '\n');
