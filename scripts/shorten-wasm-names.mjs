// Shortens the names by which the generated glue and the .wasm refer to each other.
// wasm-bindgen names each import of its own module after a Rust item plus a 16-digit hash,
// each module after its path, and each export after a Rust item; both files carry every name,
// and the hashes do not compress. Renamed here: those imports, every module name and every
// export but `memory`; and the functions the wasm imports from the snippets, which the glue
// passed as each snippet module's namespace: it passes an object of just those functions
// instead, so a bundler builds no namespace object of every export of the module.
// Usage: node scripts/shorten-wasm-names.mjs <module.wasm> <glue.js> [<declarations.d.ts> ...]
import { readFileSync, writeFileSync } from 'node:fs';
import { readName, readUleb } from '../bench/wasm-contributors.mjs';

const [wasmPath, gluePath, ...declarationPaths] = process.argv.slice(2);

/** `value` as an unsigned LEB128. */
function uleb(value) {
  const out = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return out;
}

const encoder = new TextEncoder();

const nameBytes = (name) => {
  const encoded = encoder.encode(name);
  return [...uleb(encoded.length), ...encoded];
};

/** Where an import's description ends (function, table, memory, global or tag). */
function skipImportDescription(bytes, at) {
  const kind = bytes[at++];
  const limits = (from) => {
    const flags = bytes[from++];
    let [, next] = readUleb(bytes, from);
    if (flags & 1) [, next] = readUleb(bytes, next);
    return next;
  };
  switch (kind) {
    case 0: return readUleb(bytes, at)[1];
    case 1: return limits(at + 1);
    case 2: return limits(at);
    case 3: return at + 2;
    case 4: return readUleb(bytes, at + 1)[1];
    default: throw new Error(`unknown import kind ${kind}`);
  }
}

/** a, b, …, Z, ba, bb, …: short names that are valid JS identifiers. */
function* shortNames() {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  for (let n = 0; ; n++) {
    let name = '';
    let rest = n;
    do {
      name = alphabet[rest % alphabet.length] + name;
      rest = Math.floor(rest / alphabet.length);
    } while (rest > 0);
    yield name;
  }
}

const bytes = readFileSync(wasmPath);
const glueModule = './' + gluePath.split('/').pop().replace(/\.js$/, '_bg.js');
const modules = new Map();
const imports = new Map();
/** Snippet module → its functions the wasm imports → their short names. */
const snippetImports = new Map();
const exports = new Map();
const names = shortNames();
const out = [...bytes.subarray(0, 8)];

let at = 8;
while (at < bytes.length) {
  const id = bytes[at];
  const [size, start] = readUleb(bytes, at + 1);
  const end = start + size;
  let content = [...bytes.subarray(start, end)];
  if (id === 2 || id === 7) {
    const [count, first] = readUleb(bytes, start);
    let p = first;
    content = uleb(count);
    for (let i = 0; i < count; i++) {
      if (id === 2) {
        const [module, afterModule] = readName(bytes, p);
        const [field, afterField] = readName(bytes, afterModule);
        const next = skipImportDescription(bytes, afterField);
        if (!modules.has(module)) modules.set(module, names.next().value);
        let newField = field;
        if (module === glueModule) {
          if (!imports.has(field)) imports.set(field, names.next().value);
          newField = imports.get(field);
        } else {
          if (!snippetImports.has(module)) snippetImports.set(module, new Map());
          const fields = snippetImports.get(module);
          if (!fields.has(field)) fields.set(field, names.next().value);
          newField = fields.get(field);
        }
        content.push(...nameBytes(modules.get(module)), ...nameBytes(newField), ...bytes.subarray(afterField, next));
        p = next;
      } else {
        const [name, afterName] = readName(bytes, p);
        const next = readUleb(bytes, afterName + 1)[1];
        // `(await init()).memory` is wasm-bindgen's documented way to the module's memory.
        if (name !== 'memory') exports.set(name, names.next().value);
        content.push(...nameBytes(exports.get(name) ?? name), ...bytes.subarray(afterName, next));
        p = next;
      }
    }
  }
  out.push(id, ...uleb(content.length), ...content);
  at = end;
}
if (!modules.has(glueModule)) throw new Error(`no imports from ${glueModule} in ${wasmPath}`);

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Replaces `pattern` in `text`, failing unless it matched exactly `expected` times (if given). */
function replace(text, pattern, replacement, expected) {
  const found = text.match(pattern)?.length ?? 0;
  if (expected !== undefined && found !== expected) {
    throw new Error(`${pattern} matched ${found} times in the glue, not ${expected}`);
  }
  return text.replace(pattern, replacement);
}

let glue = readFileSync(gluePath, 'utf8');
// wasm-bindgen imports a snippet module as a namespace once per function the wasm takes from it
// (`import * as importN from "<snippet>"`): instead, one import of those functions, and one entry
// of them, under their short names, in the imports object.
const local = (module, field) => `__wbg_${modules.get(module)}_${snippetImports.get(module).get(field)}`;
const namedImports = [...snippetImports].map(([module, fields]) =>
  `import { ${[...fields.keys()].map((field) => `${field} as ${local(module, field)}`).join(', ')} } from "${module}";\n`);
glue = replace(glue, /^import \* as import\d+ from "[^"]+";?\n/gm, () => namedImports.splice(0).join(''));
for (const [module, fields] of snippetImports) {
  const entry = [...fields].map(([field, short]) => `${short}: ${local(module, field)}`).join(', ');
  glue = replace(glue, new RegExp(`"${escape(module)}": import\\d+`, 'g'), `"${modules.get(module)}": { ${entry} }`);
}
for (const [module, short] of modules) {
  glue = replace(glue, new RegExp(`"${escape(module)}": import`, 'g'), `"${short}": import`);
}
for (const [field, short] of imports) {
  glue = replace(glue, new RegExp(`(?<=\\s)${escape(field)}(?=: function)`, 'g'), short, 1);
}
for (const [name, short] of exports) {
  glue = replace(glue, new RegExp(`\\bwasm\\.${escape(name)}\\b`, 'g'), `wasm.${short}`);
}
for (const module of modules.keys()) {
  if (glue.includes(`"${module}": import`)) throw new Error(`module ${module} left in the glue`);
}
// wasm-bindgen lists a snippet module once per import of it: bundlers warn of the duplicate keys.
const listed = new Set();
glue = glue.replace(/^\s*"(\w+)": (?:import\d+|\{[^}\n]*\}),?\n/gm, (line, module) =>
  listed.has(module) ? '' : (listed.add(module), line));
writeFileSync(gluePath, glue);

// The declarations of the raw exports (InitOutput, the .wasm's own) follow the new names.
for (const path of declarationPaths) {
  let text = readFileSync(path, 'utf8');
  for (const [name, short] of exports) {
    text = text.replace(new RegExp(`(readonly |export const )${escape(name)}(?=:)`, 'g'), `$1${short}`);
  }
  writeFileSync(path, text);
}
writeFileSync(wasmPath, Uint8Array.from(out));
console.log(`shortened ${imports.size} imports, ${modules.size} modules and ${exports.size} exports`);
