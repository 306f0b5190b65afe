// Turns wasm-bindgen's output in pkg/ (or the folder named by the first argument) into the
// package's modules:
// - the generated module gets its wasm on demand (js/loading.js) until init() ran, so the inline
//   entry can compile it at first use, and the slim entry says what to do instead of a TypeError;
// - its body makes one generation of the wasm, with every call into it guarded (js/boundary.js),
//   so that after a trap js/realtime.js can make a fresh one;
// - the entries (js/package/) get the package's exports appended: an explicit list, so the
//   generated module's internals (RealtimeEngine, SubscriptionHandle) stay hidden and no snippet
//   imports a module that imports it back;
// - the declarations compile without the DOM lib (a worker or a Node-only type check);
// - the wasm as base64, for the inline entry and the development one's fallback.
import { copyFileSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';

const crate = 'appwrite_realtime_wasm';
const out = process.argv[2] ?? 'pkg';
const [snippetFolder] = readdirSync(`${out}/snippets`);
const snippets = `./snippets/${snippetFolder}/js`;

/** `text` with `from` replaced by `to`, failing the build if wasm-bindgen's output changed shape. */
function replaceExactly(text, from, to, count) {
  const found = text.split(from).length - 1;
  if (found !== count) throw new Error(`finish-package: expected ${count} of ${JSON.stringify(from)} in the glue, found ${found}`);
  return text.replaceAll(from, to);
}

const gluePath = `${out}/${crate}.js`;
let glue = readFileSync(gluePath, 'utf8');
glue = replaceExactly(
  glue,
  'let wasmModule, wasmInstance, wasm;',
  'let wasmModule, wasmInstance, wasm = new Proxy({}, { get: (_, name) => wasmOnDemand()[name] });',
  1,
);
// The placeholder is not `undefined`: whether the wasm is loaded is whether it was instantiated.
glue = replaceExactly(glue, 'if (wasm !== undefined) return wasm;', 'if (wasmInstance !== undefined) return wasm;', 2);
// After wasm-bindgen's first line, the `@ts-self-types` directive.
const firstLineEnd = glue.indexOf('\n') + 1;
/** `text` with the matches of `pattern` (global) replaced, failing the build unless there were `count`. */
function replaceMatches(text, pattern, to, count) {
  const found = text.match(pattern)?.length ?? 0;
  if (found !== count) throw new Error(`finish-package: expected ${count} of ${pattern} in the glue, found ${found}`);
  return text.replace(pattern, to);
}

// wasm-bindgen's console warnings go, as their text would be bytes in every app. A .wasm served
// without the application/wasm type still compiles, from a copy, without the warning (and without
// wasm-bindgen's check of the response type: an opaque response has no body to compile, and then
// the default entry's fallback takes over). The positional arguments that init() and initSync()
// still take (the README shows the object form) keep working, unflagged.
glue = replaceMatches(
  glue,
  /const validResponse = expectedResponseType\(module\.type\);\s*if \(validResponse && module\.headers\.get\('Content-Type'\) !== 'application\/wasm'\) \{\s*console\.warn\([^\n]*\);\s*\} else \{ throw e; \}/g,
  "if (module.headers.get('Content-Type') === 'application/wasm') throw e;",
  1,
);
glue = replaceMatches(glue, /\n\s*function expectedResponseType\(type\) \{[^}]*\}\s*return false;\s*\}/g, '', 1);
glue = replaceMatches(glue, /\n\s*console\.warn\('using deprecated parameters for [^\n]*'\)/g, '', 2);

// One generation: the glue's body in a function, so each call makes an instance with its own
// `wasm`, closures, caches and finalizers. A trapped instance's state is unusable (borrows never
// released, an allocator stopped mid-way), and the pointers its objects and closures hold mean
// nothing to another instance: keeping each generation's glue apart is what lets nothing of the
// trapped one reach the next. The exports are live bindings to the current generation's.
const importsEnd = glue.lastIndexOf('\nimport ') + 1;
const bodyStart = glue.indexOf('\n', importsEnd) + 1;
let body = glue.slice(bodyStart);
const exported = [];
body = body.replace(/^export (class|function) (\w+)/gm, (_, kind, name) => {
  exported.push(name);
  return `${kind} ${name}`;
});
body = replaceExactly(body, 'export { initSync, __wbg_init as default };', '', 1);
body = replaceExactly(body, '    wasm = instance.exports;', '    wasm = guardExports(instance.exports);', 1);
glue = `${glue.slice(0, firstLineEnd)}import { wasmOnDemand } from '${snippets}/loading.js';
import { guardExports } from '${snippets}/boundary.js';
${glue.slice(firstLineEnd, bodyStart)}
function generation() {
${body}
return { ${exported.join(', ')}, initSync, __wbg_init, compiled: () => wasmModule };
}
let current = generation();
export let ${exported.map((name) => `${name} = current.${name}`).join(', ')};
export const initSync = (module) => current.initSync(module);
export default (module_or_path) => current.__wbg_init(module_or_path);
/** Replaces the current generation with a new instance of the same compiled module. */
export async function reinstantiate() {
  const next = generation();
  await next.__wbg_init({ module_or_path: current.compiled() });
  current = next;
  ${exported.map((name) => `${name} = next.${name};`).join(' ')}
}
`;
writeFileSync(gluePath, glue);

const exportsBlock = `export { Realtime } from '${snippets}/realtime.js';
export { RealtimeError, Query } from '${snippets}/exports.js';
export { Client } from '${snippets}/client.js';
export { Channel } from '${snippets}/channel.js';
`;
for (const entry of ['index.js', 'index-dev.js', 'inline.js', 'slim.js']) {
  const source = readFileSync(`js/package/${entry}`, 'utf8').replaceAll("'./snippets/js/", `'${snippets}/`);
  writeFileSync(`${out}/${entry}`, source + exportsBlock);
}
copyFileSync('js/package/fetch-wasm.js', `${out}/fetch-wasm.js`);

// wasm-bindgen declares init()'s input with DOM aliases and its output with the wasm's raw
// exports. The aliases are spelled out, the raw exports (meaningless shortened names) left out,
// and the global names used are declared as interfaces, which merge with the DOM lib's where
// it is loaded and stay opaque where it is not.
const typesPath = `${out}/${crate}.d.ts`;
let types = readFileSync(typesPath, 'utf8');
types = replaceExactly(
  types,
  'export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;',
  'export type InitInput = Request | string | URL | Response | ArrayBuffer | ArrayBufferView | WebAssembly.Module;',
  1,
);
types = replaceExactly(
  types,
  'export type SyncInitInput = BufferSource | WebAssembly.Module;',
  'export type SyncInitInput = ArrayBuffer | ArrayBufferView | WebAssembly.Module;',
  1,
);
types = types.replace(
  /export interface InitOutput \{\n[^}]*\n\}/,
  'export interface InitOutput {\n    readonly memory: WebAssembly.Memory;\n}',
);
writeFileSync(
  typesPath,
  `${types}
declare global {
    interface Request {}
    interface URL {}
    interface Response {}
    namespace WebAssembly {
        interface Module {}
        interface Memory {}
    }
}
`,
);

// The live views' glue gets its .wasm's URL from js/live.js, which has it from the entry
// (js/loading.js): a default URL in the lazily loaded chunk would make Parcel 2 fail to build.
const liveGluePath = `${out}/appwrite_realtime_live.js`;
writeFileSync(liveGluePath, replaceExactly(
  readFileSync(liveGluePath, 'utf8'),
  "module_or_path = new URL('appwrite_realtime_live_bg.wasm', import.meta.url);",
  "throw new Error('js/live.js passes the URL');",
  1,
));

/** Writes `${path}.js`: the .wasm at `path` as base64, for where the .wasm itself does not load. */
const embed = (path, purpose) => writeFileSync(
  `${path}.js`,
  `// The .wasm, embedded ${purpose}.
const base64 = '${readFileSync(path).toString('base64')}';

export function wasmBytes() {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i += 1) bytes[i] = text.charCodeAt(i);
  return bytes;
}
`,
);
embed(`${out}/${crate}_bg.wasm`, 'for the inline and development entries');
embed(`${out}/appwrite_realtime_live_bg.wasm`, 'for the inline and development entries (js/loading.js)');
