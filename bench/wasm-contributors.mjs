// What each part of the shipped wasm costs: reads a module that still has its name section
// (scripts/build writes target/size/named.wasm, optimised like the shipped one) and sums code
// bytes per function and per crate. A small twiggy: `twiggy top` needs a tool install; this
// needs nothing but Node.
import { readFile } from 'node:fs/promises';

/** An unsigned LEB128 at `offset` → [value, offset after it]. */
export function readUleb(bytes, offset) {
  let value = 0;
  let shift = 0;
  let byte;
  do {
    byte = bytes[offset++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, offset];
}

/** A length-prefixed UTF-8 name at `offset` → [name, offset after it]. */
export function readName(bytes, offset) {
  const [length, start] = readUleb(bytes, offset);
  return [new TextDecoder().decode(bytes.subarray(start, start + length)), start + length];
}

/**
 * Rust's legacy mangling `_ZN3foo3bar17h…E` → `foo::bar`; a name already demangled (the std
 * rebuilt by scripts/build names its functions so) loses its `::h…` hash; anything else as it is.
 */
export function demangle(name) {
  if (!name.startsWith('_ZN')) return name.replace(/::h[0-9a-f]{16}$/, '');
  const parts = [];
  let i = 3;
  while (i < name.length && name[i] !== 'E') {
    const digits = /^\d+/.exec(name.slice(i));
    if (!digits) break;
    i += digits[0].length;
    const length = Number(digits[0]);
    parts.push(name.slice(i, i + length));
    i += length;
  }
  if (/^h[0-9a-f]{16}$/.test(parts.at(-1) ?? '')) parts.pop();
  return parts
    .join('::')
    .replaceAll('$LT$', '<').replaceAll('$GT$', '>').replaceAll('$u20$', ' ')
    .replaceAll('$RF$', '&').replaceAll('$C$', ',').replaceAll('..', '::').replaceAll('$u7b$', '{')
    .replaceAll('$u7d$', '}').replaceAll('$BP$', '*').replaceAll('$u5b$', '[').replaceAll('$u5d$', ']');
}

/** The crate a function belongs to: the first path segment, looking inside `<impl …>`. */
export function crateOf(name) {
  if (/ shim$/.test(name)) return 'export shims (wasm-bindgen)';
  const path = demangle(name).replace(/^[_<&\s]*(?:mut\s+|dyn\s+)*/, '');
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[[0-9a-f]+\])?::/.exec(path);
  if (match) return match[1];
  if (/^__wbg|^__wbindgen|^__externref/.test(name)) return 'wasm_bindgen (generated)';
  return /^[a-z]+_[A-Za-z]+$/.test(name) ? 'exports (wasm-bindgen)' : 'unnamed';
}

/** Code size of every defined function, and the size of each section. */
export function analyse(bytes) {
  let offset = 8;
  let importedFunctions = 0;
  const bodies = [];
  const names = new Map();
  const sections = {};
  while (offset < bytes.length) {
    const id = bytes[offset];
    let size;
    [size, offset] = readUleb(bytes, offset + 1);
    const end = offset + size;
    let label = `section ${id}`;
    if (id === 0) {
      let name;
      [name] = readName(bytes, offset);
      label = `custom ${name}`;
      if (name === 'name') {
        let at = readName(bytes, offset)[1];
        while (at < end) {
          const kind = bytes[at];
          let length;
          [length, at] = readUleb(bytes, at + 1);
          if (kind === 1) {
            let count;
            let p;
            [count, p] = readUleb(bytes, at);
            for (let n = 0; n < count; n++) {
              let index;
              let fn;
              [index, p] = readUleb(bytes, p);
              [fn, p] = readName(bytes, p);
              names.set(index, fn);
            }
          }
          at += length;
        }
      }
    } else if (id === 2) {
      label = 'import';
      let count;
      let p;
      [count, p] = readUleb(bytes, offset);
      for (let n = 0; n < count; n++) {
        [, p] = readName(bytes, p);
        [, p] = readName(bytes, p);
        const kind = bytes[p++];
        if (kind === 0) { [, p] = readUleb(bytes, p); importedFunctions++; }
        else if (kind === 1) { p += 1; const flags = bytes[p++]; [, p] = readUleb(bytes, p); if (flags & 1) [, p] = readUleb(bytes, p); }
        else if (kind === 2) { const flags = bytes[p++]; [, p] = readUleb(bytes, p); if (flags & 1) [, p] = readUleb(bytes, p); }
        else if (kind === 3) { p += 2; }
      }
    } else if (id === 10) {
      label = 'code';
      let count;
      let p;
      [count, p] = readUleb(bytes, offset);
      for (let n = 0; n < count; n++) {
        const start = p;
        let length;
        [length, p] = readUleb(bytes, p);
        bodies.push({ index: importedFunctions + n, bytes: p - start + length });
        p += length;
      }
    } else if (id === 11) {
      label = 'data';
    } else if (id === 7) {
      label = 'export';
    }
    sections[label] = (sections[label] ?? 0) + size;
    offset = end;
  }
  const functions = bodies.map(({ index, bytes: size }) => {
    const raw = names.get(index) ?? `function[${index}]`;
    return { name: demangle(raw).replace(/\[[0-9a-f]{16}\]/g, ''), crate: crateOf(raw), bytes: size };
  });
  return { sections, functions };
}

export function summarise({ sections, functions }, top = 15) {
  const byCrate = new Map();
  for (const fn of functions) byCrate.set(fn.crate, (byCrate.get(fn.crate) ?? 0) + fn.bytes);
  return {
    sections,
    crates: [...byCrate].map(([crate, bytes]) => ({ crate, bytes })).sort((a, b) => b.bytes - a.bytes),
    functions: [...functions].sort((a, b) => b.bytes - a.bytes).slice(0, top),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2] ?? 'target/size/named.wasm';
  const summary = summarise(analyse(await readFile(file)), Number(process.argv[3] ?? 25));
  console.log(`sections of ${file} (bytes):`, summary.sections);
  console.log('\ncode bytes per crate:');
  for (const { crate, bytes } of summary.crates) console.log(`${String(bytes).padStart(8)}  ${crate}`);
  console.log('\nlargest functions:');
  for (const { name, bytes } of summary.functions) console.log(`${String(bytes).padStart(8)}  ${name.slice(0, 110)}`);
}
