// Writes pkg/package.json for the generated npm package, from Cargo.toml's metadata.
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';

const cargo = readFileSync('Cargo.toml', 'utf8');
const packageSection = cargo.slice(cargo.indexOf('[package]'));
const field = (name) => packageSection.match(new RegExp(`^${name} = "([^"]*)"`, 'm'))?.[1];
const workspaceField = (name) => cargo.match(new RegExp(`^${name} = "([^"]*)"`, 'm'))?.[1];

const crate = 'appwrite_realtime_wasm';
const manifest = {
  name: field('name'),
  version: field('version'),
  description: field('description'),
  license: workspaceField('license'),
  repository: { type: 'git', url: workspaceField('repository') },
  type: 'module',
  main: `./${crate}.js`,
  module: `./${crate}.js`,
  types: `./${crate}.d.ts`,
  exports: {
    '.': { types: `./${crate}.d.ts`, default: `./${crate}.js` },
    [`./${crate}_bg.wasm`]: `./${crate}_bg.wasm`,
    './package.json': './package.json',
  },
  files: readdirSync('pkg').filter((name) => name !== 'package.json' && name !== '.gitignore'),
  // Only inline_js snippets could run code on import; the generated modules themselves do not.
  sideEffects: ['./snippets/*'],
  keywords: ['appwrite', 'realtime', 'websocket', 'wasm'],
};
writeFileSync('pkg/package.json', JSON.stringify(manifest, null, 2) + '\n');
