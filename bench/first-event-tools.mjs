// Time to first event as users get it: the same app (one module that imports `{ Client, Realtime }`
// and subscribes on load, bench/first-event.mjs's `appSource`) built from the packed package by
// each tool with its defaults, plus at most the one line the README gives for that tool, and the
// official `appwrite` SDK built by the same tool the same way. Every build is served gzip-encoded by
// bench/first-event-server.mjs (which publishes an event the moment the SDK's `subscribe` frame
// reaches it) and timed in Chromium by bench/first-event.mjs's `runOnce`: navigation start to the
// event callback, fresh context per run, both SDKs alternating, profiles unthrottled and Slow 4G
// (150 ms RTT for requests and WebSocket frames, 1.6 Mbps down, CPU 4x).
//
// The package is packed afresh each run (`npm pack` of pkg/, as e2e/bundlers.test.mjs does), so
// this measures whatever pkg/ holds; it is unpacked into target/bench-tools/node_modules beside the
// official SDK and links to the tools e2e/bundlers installed. Each build is kept and reused while
// its inputs (the tarball's hash for ours, the tools' lockfile, the app's files) are unchanged.
//
// Next.js: `next build` prerenders the page (App Router; the client component subscribes in
// `useEffect`). What `next start` would send for it, the prerendered HTML
// (.next/server/app/index.html) and .next/static/ under /_next/static/, is served by the same
// server as the other rows, so that the same gzip, the same relay and the same throttling apply.
//
// `node bench/first-event-tools.mjs` runs it alone; bench/run.mjs calls `measureFirstEventTools`
// and `printFirstEventTools`. Environment:
//   FIRST_EVENT_TOOLS_RUNS=n      runs per row, SDK and profile (default 7; unthrottled takes 3x)
//   FIRST_EVENT_TOOLS=a,b         only these rows (ids below); `none` skips the whole measure
//   FIRST_EVENT_TOOLS_PROFILES=…  only these profiles (default "unthrottled,Slow 4G")
//   FIRST_EVENT_TOOLS_LINES=esbuild=inline,rollup=none  another line (see `lines`) for a row
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { startEmulator } from '../e2e/harness.mjs';
import { startFirstEventServer } from './first-event-server.mjs';
import {
  CHANNEL, appSource, instrumentSource, launchBrowser, median, medianBreakdown, profiles, publication, round, runOnce,
} from './first-event.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..');
const tools = join(repoRoot, 'e2e/bundlers');
const bin = (name) => join(tools, 'node_modules/.bin', name);
const sha256 = (data) => createHash('sha256').update(data).digest('hex');

export const toolRuns = Number(process.env.FIRST_EVENT_TOOLS_RUNS ?? 7);
const profileNames = (process.env.FIRST_EVENT_TOOLS_PROFILES ?? 'unthrottled,Slow 4G').split(',').map((name) => name.trim());
const rowFilter = process.env.FIRST_EVENT_TOOLS?.split(',').map((name) => name.trim()).filter(Boolean);

/**
 * The one line the README may give a tool, applied to our build only. `copy`: a shell command
 * run in the app's folder after the build; `inline`: the import the app makes instead.
 */
export const lines = {
  copy: { text: 'cp node_modules/appwrite-realtime-wasm/*.wasm dist/', shell: 'cp node_modules/appwrite-realtime-wasm/*.wasm dist/' },
  inline: { text: "import { Client, Realtime } from 'appwrite-realtime-wasm/inline'", specifier: 'appwrite-realtime-wasm/inline' },
  none: null,
};

/**
 * The rows. `ourLine` names the README's one line for that tool (a key of `lines`, or null);
 * FIRST_EVENT_TOOLS_LINES overrides it per row. `extra` rows are not users' defaults.
 */
export const rows = [
  { id: 'vite', label: 'Vite 7 build', tool: 'vite', ourLine: null },
  { id: 'webpack', label: 'webpack 5', tool: 'webpack', ourLine: null },
  { id: 'rollup', label: 'Rollup 4 + node-resolve', tool: 'rollup', ourLine: 'copy' },
  { id: 'esbuild', label: 'esbuild', tool: 'esbuild', ourLine: 'copy' },
  { id: 'esbuild-splitting', label: 'esbuild --splitting', tool: 'esbuild', splitting: true, ourLine: 'copy' },
  { id: 'next', label: 'Next.js 15', tool: 'next', ourLine: null },
  { id: 'esbuild-inline', label: 'esbuild, /inline entry', tool: 'esbuild', ourLine: 'inline', extra: true },
];

for (const override of (process.env.FIRST_EVENT_TOOLS_LINES ?? '').split(',').filter(Boolean)) {
  const [id, line] = override.split('=').map((part) => part.trim());
  const row = rows.find((entry) => entry.id === id);
  if (!row || !(line in lines)) throw new Error(`FIRST_EVENT_TOOLS_LINES: no row ${id} or line ${line} (lines: ${Object.keys(lines).join(', ')})`);
  row.ourLine = line === 'none' ? null : line;
}

const page = (script) => `<!doctype html>
<html><head><meta charset="utf-8"><title>first event</title><link rel="icon" href="data:,">
<script>${instrumentSource}</script>
${script}
</head><body></body></html>
`;

/**
 * Per tool: the app's files (`specifier`: what the app imports), the build's commands (run in the
 * app's folder), and what is served: [URL path, file or folder of the app]. Each is the tool's
 * default invocation; the HTML is what a user would write (webpack: `defer`, as
 * html-webpack-plugin writes it).
 */
const builders = {
  vite: {
    files: (specifier) => ({ 'index.html': page('<script type="module" src="/main.js"></script>'), 'main.js': appSource(specifier) }),
    steps: () => [[bin('vite'), ['build']]],
    clean: ['dist'], serve: [['/', 'dist']], page: '/index.html',
    invocation: 'vite build',
  },
  webpack: {
    files: (specifier) => ({ 'index.html': page('<script defer src="/dist/main.js"></script>'), 'src/index.js': appSource(specifier) }),
    steps: () => [[bin('webpack'), ['--mode=production']]],
    clean: ['dist'], serve: [['/index.html', 'index.html'], ['/dist/', 'dist']], page: '/index.html',
    invocation: 'webpack --mode=production (entry ./src/index.js, output dist/main.js: its defaults)',
  },
  rollup: {
    files: async (specifier) => ({
      'index.html': page('<script type="module" src="/dist/main.js"></script>'), 'main.js': appSource(specifier),
      'rollup.config.mjs': await readFile(join(here, 'tools/rollup/rollup.config.mjs'), 'utf8'),
    }),
    steps: () => [[bin('rollup'), ['-c']]],
    clean: ['dist'], serve: [['/index.html', 'index.html'], ['/dist/', 'dist']], page: '/index.html',
    invocation: 'rollup -c (bench/tools/rollup: nodeResolve({ browser: true }) and commonjs(), output dir dist, format es)',
  },
  esbuild: {
    files: (specifier) => ({ 'index.html': page('<script type="module" src="/dist/main.js"></script>'), 'main.js': appSource(specifier) }),
    steps: (row) => [[bin('esbuild'), ['main.js', '--bundle', '--minify', '--format=esm', '--outdir=dist', ...(row.splitting ? ['--splitting'] : [])]]],
    clean: ['dist'], serve: [['/index.html', 'index.html'], ['/dist/', 'dist']], page: '/index.html',
    invocation: (row) => `esbuild main.js --bundle --minify --format=esm --outdir=dist${row.splitting ? ' --splitting' : ''}`,
  },
  next: {
    files: async (specifier) => {
      const source = join(here, 'tools/next');
      const files = { 'app/instrument.js': `export const instrument = ${JSON.stringify(instrumentSource)};\n` };
      for (const path of await listFiles(source)) {
        const text = await readFile(join(source, path), 'utf8');
        files[path] = text.replaceAll('%SDK%', specifier).replaceAll('%CHANNEL%', CHANNEL).replaceAll('%ROOT%', repoRoot);
      }
      return files;
    },
    steps: () => [[bin('next'), ['build']]],
    clean: ['.next'], serve: [['/', '.next/server/app/index.html'], ['/_next/static/', '.next/static']], page: '/',
    invocation: 'next build (webpack; App Router, page prerendered)',
    timeout: 600_000,
  },
};

async function listFiles(dir, prefix = '') {
  const files = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...await listFiles(dir, path));
    else files.push(path);
  }
  return files.sort();
}

// ---------------------------------------------------------------------------------------------
// The workspace: the packed package, the official SDK and links to the tools.

const work = join(repoRoot, 'target/bench-tools');

/** Runs a command to its end; rejects with its output's tail unless it exits 0. */
async function run(command, args, { cwd, timeout = 300_000, env = {} }) {
  const child = spawn(command, args, {
    cwd, env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch {} }, timeout);
  const [code, signal] = await once(child, 'exit');
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${[command, ...args].join(' ')} ${signal ? `ended by ${signal}` : `exited with ${code}`}:\n${output.slice(-4000)}`);
  return output;
}

/**
 * Packs pkg/ (under the build lock, so a concurrent scripts/build cannot hand us half a package),
 * unpacks it into target/bench-tools/node_modules when its hash changed, and links the rest.
 */
async function prepareWorkspace() {
  await mkdir(join(work, 'node_modules'), { recursive: true });
  const packed = execFileSync('flock', ['/tmp/pkg-build.lock', 'npm', 'pack', '--json', '--pack-destination', work, join(repoRoot, 'pkg')], {
    cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tarball = join(work, JSON.parse(packed.slice(packed.indexOf('['))).at(-1).filename);
  const packageHash = sha256(await readFile(tarball));
  const modules = join(work, 'node_modules');
  const installed = join(modules, 'appwrite-realtime-wasm');
  const stampPath = join(work, 'package-hash');
  if ((await readFile(stampPath, 'utf8').catch(() => '')) !== packageHash || !existsSync(installed)) {
    const unpack = join(work, 'unpack');
    await rm(unpack, { recursive: true, force: true });
    await mkdir(unpack, { recursive: true });
    execFileSync('tar', ['xzf', tarball, '-C', unpack]);
    await rm(installed, { recursive: true, force: true });
    await rename(join(unpack, 'package'), installed);
    await rm(unpack, { recursive: true, force: true });
    await writeFile(stampPath, packageHash);
  }
  await rm(tarball, { force: true });
  // The official SDK as the repository installed it (its dependencies resolve from there).
  await link(join(repoRoot, 'node_modules/appwrite'), join(modules, 'appwrite'));
  for (const name of await readdir(join(tools, 'node_modules'))) {
    if (name.startsWith('.') || name === 'appwrite-realtime-wasm' || name === 'appwrite') continue;
    await link(join(tools, 'node_modules', name), join(modules, name));
  }
  const version = async (name) => JSON.parse(await readFile(join(modules, name, 'package.json'), 'utf8')).version;
  const versions = Object.fromEntries(await Promise.all(['vite', 'webpack', 'rollup', '@rollup/plugin-node-resolve', '@rollup/plugin-commonjs', 'esbuild', 'next', 'appwrite', 'appwrite-realtime-wasm']
    .map(async (name) => [name, await version(name)])));
  const toolsHash = sha256(await readFile(join(tools, 'package-lock.json')));
  return { packageHash, toolsHash, versions };
}

async function link(target, path) {
  const existing = await lstat(path).catch(() => null);
  if (existing) return;
  await symlink(target, path);
}

// ---------------------------------------------------------------------------------------------
// Builds.

/** The builds of one run: per row and SDK, deduplicated (the inline row shares esbuild's official build). */
function plannedBuilds(selected) {
  const builds = new Map();
  const slots = [];
  for (const row of selected) {
    for (const sdk of ['ours', 'official']) {
      const line = sdk === 'ours' && row.ourLine ? lines[row.ourLine] : null;
      const specifier = sdk === 'official' ? 'appwrite' : line?.specifier ?? 'appwrite-realtime-wasm';
      const steps = builders[row.tool].steps(row);
      const key = `${row.tool}${row.splitting ? '-splitting' : ''}-${sdk}${line?.specifier ? '-inline' : ''}${line?.shell ? '-copy' : ''}`;
      if (!builds.has(key)) builds.set(key, { key, row, sdk, specifier, steps, shell: line?.shell ?? null });
      slots.push({ row, sdk, key });
    }
  }
  return { builds, slots };
}

/** Builds one app in target/bench-tools/apps/<key>/ unless its stamp matches; returns its files to serve. */
async function buildApp(build, workspace, log) {
  const builder = builders[build.row.tool];
  const dir = join(work, 'apps', build.key);
  await mkdir(dir, { recursive: true });
  await link('../../node_modules', join(dir, 'node_modules'));
  const files = await builder.files(build.specifier);
  const hash = createHash('sha256').update(JSON.stringify({ steps: build.steps, shell: build.shell, tools: workspace.toolsHash }));
  if (build.sdk === 'ours') hash.update(workspace.packageHash);
  else hash.update(workspace.versions.appwrite);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
    hash.update(path).update(text);
  }
  const digest = hash.digest('hex');
  const stampPath = join(dir, '.bench-stamp.json');
  const stamp = JSON.parse(await readFile(stampPath, 'utf8').catch(() => '{}'));
  let output = stamp.output;
  let ms = stamp.ms;
  let cached = true;
  if (stamp.hash !== digest) {
    cached = false;
    await rm(stampPath, { force: true });
    for (const path of builder.clean) await rm(join(dir, path), { recursive: true, force: true });
    const started = Date.now();
    output = '';
    for (const [command, args] of build.steps) output += await run(command, args, { cwd: dir, timeout: builder.timeout });
    if (build.shell) output += await run('sh', ['-c', build.shell], { cwd: dir });
    ms = Date.now() - started;
    await writeFile(stampPath, JSON.stringify({ hash: digest, ms, output }));
  }
  log(`build ${build.key}: ${cached ? `up to date (built in ${(ms / 1000).toFixed(1)} s earlier)` : `${(ms / 1000).toFixed(1)} s`}`);
  const served = new Map();
  for (const [url, path] of builder.serve) {
    const full = join(dir, path);
    if ((await stat(full)).isDirectory()) {
      for (const file of await listFiles(full)) served.set(`${url}${file}`, await readFile(join(full, file)));
    } else {
      served.set(url, await readFile(full));
    }
  }
  return { ...build, dir, served, output, ms, cached, notes: buildNotes(output) };
}

/** The build output's lines that warn or complain, ANSI colours removed. */
function buildNotes(output) {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  return [...new Set(plain.split('\n').map((line) => line.trim()).filter((line) => /warn|error|⚠|deprecat/i.test(line)))];
}

const contentTypes = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm', '.txt': 'text/plain',
};
const typeOf = (path) => (path.endsWith('/') ? contentTypes['.html'] : contentTypes[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream');
const gzipBytes = (body) => gzipSync(body, { level: 9 }).length;

/**
 * gzip -9 bytes of the .js and .wasm files among `served` (all of them: what the build emits; or
 * only the paths in `only`: what the page requested), and their counts.
 */
function jsAndWasm(served, only = null) {
  const sum = { js: 0, jsFiles: 0, wasm: 0, wasmFiles: 0 };
  for (const [path, body] of served) {
    if (only && !only.has(path)) continue;
    if (path.endsWith('.js')) { sum.js += gzipBytes(body); sum.jsFiles += 1; }
    if (path.endsWith('.wasm')) { sum.wasm += gzipBytes(body); sum.wasmFiles += 1; }
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------
// Measuring.

/**
 * Packs, builds, then runs every row's two SDKs `runs` times per profile (rows and SDKs rotating
 * run by run) and returns the figures.
 */
export async function measureFirstEventTools(root = repoRoot, { runs = toolRuns, log = () => {} } = {}) {
  if (root !== repoRoot) throw new Error('bench/first-event-tools.mjs measures this repository only');
  const selected = rows.filter((row) => !rowFilter || rowFilter.includes(row.id));
  const result = { runs, rows: [], profiles: [] };
  if (selected.length === 0) return result;
  const workspace = await prepareWorkspace();
  result.versions = workspace.versions;
  result.packageHash = workspace.packageHash;
  const { builds: planned, slots } = plannedBuilds(selected);
  const built = new Map();
  const requested = new Map(slots.map(({ row, sdk }) => [`${row.id}/${sdk}`, new Set()]));
  for (const build of planned.values()) built.set(build.key, await buildApp(build, workspace, log));

  const emulator = await startEmulator();
  const servers = new Map();
  const browser = await launchBrowser();
  try {
    for (const [key, build] of built) {
      const files = new Map([...build.served].map(([path, body]) => [path, { type: typeOf(path), body }]));
      servers.set(key, await startFirstEventServer({ files, emulatorUrl: emulator.url, publication }));
    }
    const chosen = profiles.filter(({ name }) => profileNames.includes(name));
    for (const profile of chosen) {
      const profileRuns = runs * (profile.runsFactor ?? 1);
      const figures = new Map(slots.map(({ row, sdk }) => [`${row.id}/${sdk}`, { runsMs: [], bytes: [], details: [], errors: [], missing: new Set() }]));
      for (let run = 0; run < profileRuns; run += 1) {
        for (let r = 0; r < selected.length; r += 1) {
          const index = (r + run) % selected.length;
          const row = selected[index];
          const order = (run + index) % 2 === 0 ? ['ours', 'official'] : ['official', 'ours'];
          for (const sdk of order) {
            const build = built.get(slots.find((slot) => slot.row === row && slot.sdk === sdk).key);
            const server = servers.get(build.key);
            const slot = figures.get(`${row.id}/${sdk}`);
            const variant = { name: `${row.id}-${sdk}`, sdk, page: builders[row.tool].page, bundle: (path) => path.endsWith('.js') };
            try {
              const { ms, bytes, detail, errors } = await runOnce(browser, server, profile, variant, { countBytes: true });
              slot.runsMs.push(round(ms));
              slot.bytes.push(bytes);
              slot.details.push(detail);
              slot.errors.push(...errors);
            } catch (error) {
              slot.errors.push(error.message.split('\n')[0]);
            }
            for (const { path } of server.requests) {
              if (build.served.has(path)) requested.get(`${row.id}/${sdk}`).add(path);
              else slot.missing.add(path);
            }
          }
        }
        log(`  ${profile.name} run ${run + 1}/${profileRuns}: ${selected.map((row) => `${row.id} ${figures.get(`${row.id}/ours`).runsMs.at(-1)}/${figures.get(`${row.id}/official`).runsMs.at(-1)}`).join(', ')}`);
      }
      const summarise = (slot) => {
        const kinds = ['html', 'js', 'wasm', 'other', 'total'];
        const bytes = slot.bytes.filter(Boolean);
        const pick = (phase) => Object.fromEntries(kinds.map((kind) => [kind, median(bytes.map((entry) => entry[phase][kind]))]));
        return {
          msMedian: round(median(slot.runsMs)), runsMs: slot.runsMs,
          bytesBeforeEvent: bytes.length ? pick('before') : null, bytesByEnd: bytes.length ? pick('all') : null,
          breakdown: medianBreakdown(slot.details),
          ...(slot.errors.length ? { errors: [...new Set(slot.errors)] } : {}),
          ...(slot.missing.size ? { notServed: [...slot.missing] } : {}),
        };
      };
      result.profiles.push({
        profile: profile.name, description: profile.description ?? 'no throttling', runs: profileRuns,
        rows: Object.fromEntries(selected.map((row) => {
          const ours = summarise(figures.get(`${row.id}/ours`));
          const official = summarise(figures.get(`${row.id}/official`));
          return [row.id, { ours, official, ratio: ours.msMedian && official.msMedian ? ours.msMedian / official.msMedian : null }];
        })),
      });
    }
  } finally {
    await browser.close();
    for (const server of servers.values()) await server.close();
    await emulator.stop();
  }
  for (const row of selected) {
    const entry = { id: row.id, label: row.label, extra: Boolean(row.extra) };
    for (const sdk of ['ours', 'official']) {
      const build = built.get(slots.find((slot) => slot.row === row && slot.sdk === sdk).key);
      const invocation = builders[row.tool].invocation;
      entry[sdk] = {
        build: build.key, specifier: build.specifier,
        invocation: typeof invocation === 'function' ? invocation(row) : invocation,
        line: sdk === 'ours' && row.ourLine ? lines[row.ourLine].text : null,
        emitted: jsAndWasm(build.served), loaded: jsAndWasm(build.served, requested.get(`${row.id}/${sdk}`)),
        files: [...build.served.keys()], requested: [...requested.get(`${row.id}/${sdk}`)],
        buildMs: build.ms, notes: build.notes,
      };
    }
    result.rows.push(entry);
  }
  return result;
}

/** Rows where an SDK never received its event on a profile: a broken build, not a slow one. */
export function firstEventToolFailures(result) {
  return result.profiles.flatMap((entry) => Object.entries(entry.rows).flatMap(([id, figures]) => ['ours', 'official']
    .filter((sdk) => figures[sdk].msMedian === null)
    .map((sdk) => `first event, ${id}, ${sdk}, ${entry.profile}: no run received the event (${figures[sdk].errors?.[0] ?? 'no error'})`)));
}

// ---------------------------------------------------------------------------------------------
// Printing.

const fmt = (ms) => (ms === null || ms === undefined ? '–' : `${Math.round(ms)}`);
const kb = (bytes) => (bytes === null || bytes === undefined ? '–' : (bytes / 1024).toFixed(1));
const x = (ratio) => (ratio ? `${ratio.toFixed(2)}x` : '–');

export function printFirstEventTools(result) {
  if (result.rows.length === 0) return;
  const v = result.versions;
  console.log(`\nTime to first event per tool (the app bundled from the packed package by each tool's defaults, plus the README's one line; ` +
    `official appwrite ${v.appwrite} bundled the same way; served gzip -9; fresh context per run; SDKs alternating; KB = 1024 bytes)`);
  console.log(`  tools: vite ${v.vite}, webpack ${v.webpack}, rollup ${v.rollup} + @rollup/plugin-node-resolve ${v['@rollup/plugin-node-resolve']} + @rollup/plugin-commonjs ${v['@rollup/plugin-commonjs']}, ` +
    `esbuild ${v.esbuild}, next ${v.next}; package ${result.packageHash.slice(0, 12)} (npm pack of pkg/)`);
  console.log('  JS, wasm: gzip KB of the files the page fetched (in brackets: all the build emits); before event: KB received (gzip, HTML included) ' +
    'before the event callback ran, from CDP, median');
  console.log(`  ${'row'.padEnd(28)}${'ours JS'.padStart(15)}${'ours wasm'.padStart(16)}${'official JS'.padStart(16)}`);
  for (const row of result.rows) {
    const { ours, official } = row;
    const pair = (loaded, all) => `${kb(loaded)} (${kb(all)})`;
    console.log(`  ${`${row.label}${row.extra ? ' (extra)' : ''}`.padEnd(28)}${pair(ours.loaded.js, ours.emitted.js).padStart(15)}` +
      `${pair(ours.loaded.wasm, ours.emitted.wasm).padStart(16)}${pair(official.loaded.js, official.emitted.js).padStart(16)}`);
  }
  for (const entry of result.profiles) {
    console.log(`${entry.profile} (${entry.description}; median of ${entry.runs} runs):`);
    console.log(`  ${'row'.padEnd(28)}${'before event: ours (wasm)'.padStart(26)}${'official'.padStart(10)} │${'ours ms'.padStart(9)}${'official'.padStart(10)}${'ratio'.padStart(8)}`);
    for (const row of result.rows) {
      const figures = entry.rows[row.id];
      if (!figures) continue;
      const { ours, official } = figures;
      const before = `${kb(ours.bytesBeforeEvent?.total)} (${kb(ours.bytesBeforeEvent?.wasm)})`;
      console.log(`  ${`${row.label}${row.extra ? ' (extra)' : ''}`.padEnd(28)}${before.padStart(26)}${kb(official.bytesBeforeEvent?.total).padStart(10)} │` +
        `${fmt(ours.msMedian).padStart(9)}${fmt(official.msMedian).padStart(10)}${x(figures.ratio).padStart(8)}`);
    }
  }
  console.log('  time to first event, ours ÷ official:');
  for (const row of result.rows) {
    const cells = result.profiles.map((entry) => {
      const figures = entry.rows[row.id];
      return figures ? `${entry.profile} ${x(figures.ratio)} (${fmt(figures.ours.msMedian)} vs ${fmt(figures.official.msMedian)} ms)` : null;
    }).filter(Boolean);
    console.log(`    ${`${row.label}${row.extra ? ' (extra)' : ''}:`.padEnd(30)}${cells.join('; ')}`);
  }
  console.log('  builds:');
  for (const row of result.rows) {
    console.log(`    ${row.label}: ${row.ours.invocation}; our line: ${row.ours.line ?? 'none'}; ` +
      `fetched: ours ${row.ours.loaded.jsFiles} .js + ${row.ours.loaded.wasmFiles} .wasm of ${row.ours.emitted.jsFiles} + ${row.ours.emitted.wasmFiles}, ` +
      `official ${row.official.loaded.jsFiles} .js of ${row.official.emitted.jsFiles}`);
    for (const sdk of ['ours', 'official']) {
      for (const note of row[sdk].notes.slice(0, 5)) console.log(`      ${sdk} build says: ${note.slice(0, 200)}`);
    }
    for (const entry of result.profiles) {
      for (const sdk of ['ours', 'official']) {
        const figures = entry.rows[row.id]?.[sdk];
        if (figures?.errors) console.log(`      ${sdk}, ${entry.profile}, in the page: ${figures.errors.slice(0, 3).join(' | ').slice(0, 400)}`);
        if (figures?.notServed) console.log(`      ${sdk}, ${entry.profile}, requested but not in the build: ${figures.notServed.join(', ')}`);
      }
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await measureFirstEventTools(repoRoot, { log: (line) => console.log(line) });
  printFirstEventTools(result);
  await mkdir(join(repoRoot, 'target'), { recursive: true });
  await writeFile(join(repoRoot, 'target/bench-first-event-tools.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log('\nwritten to target/bench-first-event-tools.json');
}
