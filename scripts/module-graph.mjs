// Fails when the modules of the wasm crate (src/*.rs) or its JS modules (js/*.js) import each
// other in a circle, and prints each stack from the bottom up. Rust imports are read as
// `crate::<module>` paths, including grouped ones (`use crate::{a, b::c}`); JS imports as the
// `import`/`export ... from './<module>.js'` statements between the files of js/ (the generated
// glue that js/realtime.js imports is no module of js/).
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

const root = join(import.meta.dirname, '..');
const source = join(root, 'src');
const scripts = join(root, 'js');

/** Module name → the modules of this crate it names. */
export async function moduleGraph(directory = source) {
  const files = (await readdir(directory)).filter((name) => name.endsWith('.rs'));
  const modules = new Set(files.map((name) => basename(name, '.rs')).filter((name) => name !== 'lib'));
  const graph = new Map();
  for (const file of files) {
    const name = basename(file, '.rs');
    if (name === 'lib') continue;
    const text = (await readFile(join(directory, file), 'utf8')).replace(/\/\/.*$/gm, '');
    const used = new Set();
    for (const [, path] of text.matchAll(/crate::(\w+)/g)) used.add(path);
    for (const [, group] of text.matchAll(/crate::\{([^}]*)\}/g)) {
      for (const item of group.split(',')) used.add(item.trim().split('::')[0]);
    }
    graph.set(name, [...used].filter((other) => modules.has(other) && other !== name).sort());
  }
  return graph;
}

/** JS module name (its file name without `.js`) → the modules of js/ it imports. */
export async function scriptGraph(directory = scripts) {
  const files = (await readdir(directory)).filter((name) => name.endsWith('.js'));
  const modules = new Set(files.map((name) => basename(name, '.js')));
  const graph = new Map();
  for (const file of files) {
    const text = await readFile(join(directory, file), 'utf8');
    const used = new Set();
    // Statements start a line; a comment line starts with `//` or ` *`, so it never matches.
    for (const [, path] of text.matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]\.\/([^'"/]+)\.js['"]/gm)) {
      used.add(path);
    }
    for (const [, path] of text.matchAll(/^\s*import\s*['"]\.\/([^'"/]+)\.js['"]/gm)) used.add(path);
    const name = basename(file, '.js');
    graph.set(name, [...used].filter((other) => modules.has(other) && other !== name).sort());
  }
  return graph;
}

/** The modules in dependency order, or the first cycle found. */
export function order(graph) {
  const done = new Set();
  const visiting = [];
  const sorted = [];
  const visit = (name) => {
    if (done.has(name)) return undefined;
    const at = visiting.indexOf(name);
    if (at >= 0) return [...visiting.slice(at), name];
    visiting.push(name);
    for (const next of graph.get(name) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    visiting.pop();
    done.add(name);
    sorted.push(name);
    return undefined;
  };
  for (const name of [...graph.keys()].sort()) {
    const cycle = visit(name);
    if (cycle) return { cycle };
  }
  return { sorted };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let failed = false;
  for (const [folder, graph, nothing] of [
    ['src/', await moduleGraph(), 'nothing of this crate'],
    ['js/', await scriptGraph(), 'no module of js/'],
  ]) {
    const { cycle, sorted } = order(graph);
    if (cycle) {
      console.error(`${folder} has an import cycle: ${cycle.join(' -> ')}`);
      failed = true;
      continue;
    }
    for (const name of sorted) console.log(`${name.padEnd(13)} uses ${graph.get(name).join(', ') || nothing}`);
    console.log(`${folder}: ${sorted.length} modules, no import cycle`);
  }
  if (failed) process.exit(1);
}
