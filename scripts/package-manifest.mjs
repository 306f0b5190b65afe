// Writes pkg/package.json for the generated npm package, from Cargo.toml's metadata.
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';

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
    // Both entries initialise the wasm on import; they re-export the same module, so its classes
    // are shared with `./slim`, which leaves `init()` / `initSync()` to the caller.
    '.': { types, node: './node.js', default: './index.js' },
    './slim': { types, default: `./${crate}.js` },
    [`./${crate}_bg.wasm`]: `./${crate}_bg.wasm`,
    './package.json': './package.json',
  },
  files: readdirSync('pkg').filter((name) => name !== 'package.json' && name !== '.gitignore'),
  // The entries compile the wasm when imported; the inline snippets (nested under snippets/)
  // are kept whole. The generated module itself only declares.
  sideEffects: ['./index.js', './node.js', './snippets/**'],
  keywords: ['appwrite', 'realtime', 'websocket', 'wasm'],
};
writeFileSync('pkg/package.json', JSON.stringify(manifest, null, 2) + '\n');
