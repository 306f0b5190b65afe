// Fails when the modules of the wasm crate (src/*.rs) import each other in a circle, and prints
// them from the bottom of the stack up. Imports are read as `crate::<module>` paths, including
// grouped ones (`use crate::{a, b::c}`).
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

const source = join(import.meta.dirname, '..', 'src');

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
  const graph = await moduleGraph();
  const { cycle, sorted } = order(graph);
  if (cycle) {
    console.error(`src/ has an import cycle: ${cycle.join(' -> ')}`);
    process.exit(1);
  }
  for (const name of sorted) console.log(`${name.padEnd(13)} uses ${graph.get(name).join(', ') || 'nothing of this crate'}`);
  console.log(`src/: ${sorted.length} modules, no import cycle`);
}
