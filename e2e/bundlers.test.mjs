// The packed package (`npm pack` of pkg/, installed as a .tgz as a user's install would) in every
// mainstream bundler and framework: each app in e2e/bundlers/ is built, served, opened in the
// browser, and must receive a real event from the emulator. The apps read the emulator's URL from
// their page's `?endpoint=`.
//
// Builds run once per change: each row's build is stamped (target/bundlers/stamps/) with the hash
// of the workspace's lockfile, the package tarball and the app's files, so the second engine's
// pass (and any later run) reuses it. Its output is kept in target/bundlers/logs/ for the checks
// of build warnings, which run in the chromium pass only.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startStaticServer } from './static-server.mjs';
import { useEmulatorAndBrowser, root, browserName, noBrowser } from './harness.mjs';

const workspace = join(root, 'e2e/bundlers');
const out = join(root, 'target/bundlers');
const bin = (name) => join(workspace, 'node_modules/.bin', name);
const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const seconds = (ms) => `${(ms / 1000).toFixed(1)}s`;

// Every child process is in a process group of its own, so that a timeout or `after` ends the
// workers it started too; `exit` ends whatever is left if the suite itself is interrupted.
const running = new Set();
process.on('exit', () => {
  for (const child of running) try { process.kill(-child.pid, 'SIGKILL'); } catch {}
});

function startChild(command, args, { cwd, env = {} }) {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NUXT_TELEMETRY_DISABLED: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child);
  child.output = '';
  child.stderrText = '';
  child.stdout.on('data', (chunk) => { child.output += chunk; });
  child.stderr.on('data', (chunk) => { child.output += chunk; child.stderrText += chunk; });
  child.exited = once(child, 'exit').then(([code, signal]) => { running.delete(child); return code ?? signal; });
  return child;
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try { process.kill(-child.pid, 'SIGTERM'); } catch {}
  const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch {} }, 5_000);
  await child.exited;
  clearTimeout(timer);
}

/** Runs a command to its end within `timeout` ms; rejects with its output's tail unless it exits 0. */
async function run(command, args, { cwd = workspace, env, timeout }) {
  const child = startChild(command, args, { cwd, env });
  const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch {} }, timeout);
  const code = await child.exited;
  clearTimeout(timer);
  if (code !== 0) {
    const reason = code === 'SIGKILL' ? `timed out after ${seconds(timeout)}` : `exited with ${code}`;
    throw new Error(`${[command, ...args].join(' ')} ${reason}:\n${child.output.slice(-4000)}`);
  }
  return { output: child.output, stderr: child.stderrText };
}

// ---------------------------------------------------------------------------------------------
// The workspace's tools (from its lockfile) and the packed package.

const install = { tarball: '', hash: '' };

/**
 * `npm install --no-save` rather than `npm ci`: the lock pins every package, but the registry this
 * repository is built against lacks other platforms' optional binaries, and `npm ci` insists on
 * them. `--ignore-scripts`: every native tool here (esbuild, rollup, SWC, Parcel's and Nuxt's
 * watchers, lightningcss) comes as an optional dependency holding its binary, no install script.
 */
before(async () => {
  const started = Date.now();
  await mkdir(out, { recursive: true });
  const { output } = await run('npm', ['pack', '--json', '--pack-destination', out, join(root, 'pkg')], { cwd: root, timeout: 60_000 });
  install.tarball = join(out, JSON.parse(output.slice(output.indexOf('['))).at(-1).filename);
  const packageHash = sha256(await readFile(install.tarball));
  const lockHash = sha256(await readFile(join(workspace, 'package-lock.json')));
  install.hash = sha256(`${lockHash} ${packageHash}`);

  const lockStamp = join(workspace, 'node_modules/.e2e-lock-hash');
  const packageStamp = join(workspace, 'node_modules/.e2e-package-hash');
  const npmFlags = ['--no-save', '--ignore-scripts', '--no-audit', '--no-fund'];
  const did = [];
  if ((await readFile(lockStamp, 'utf8').catch(() => '')) !== lockHash) {
    // This install removes a package installed with --no-save: reinstall the tarball after it.
    await rm(packageStamp, { force: true });
    await run('npm', ['install', ...npmFlags], { timeout: 600_000 });
    await writeFile(lockStamp, lockHash);
    did.push('tools');
  }
  if ((await readFile(packageStamp, 'utf8').catch(() => '')) !== packageHash) {
    await run('npm', ['install', ...npmFlags, install.tarball], { timeout: 300_000 });
    await writeFile(packageStamp, packageHash);
    did.push('package');
  }
  console.log(`install: ${did.length ? `${did.join(' and ')} installed` : 'up to date'} in ${seconds(Date.now() - started)}`);
}, { timeout: 900_000 });

// ---------------------------------------------------------------------------------------------
// Building, with stamps.

const outputs = new Set(['node_modules', 'dist', 'build', '.next', '.next-turbopack', '.svelte-kit', '.nuxt', '.output', '.parcel-cache']);

async function sourceFiles(dir) {
  const files = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (outputs.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...await sourceFiles(path));
    else files.push(path);
  }
  return files.sort();
}

/** Builds `row` unless its stamp matches; resolves with the build's output (kept in a log). */
async function build(row) {
  const dir = join(workspace, row.dir);
  const hash = createHash('sha256').update(`${install.hash} ${row.name} ${JSON.stringify(row.steps)}`);
  for (const file of await sourceFiles(dir)) hash.update(file).update(await readFile(file));
  const digest = hash.digest('hex');
  const stamp = join(out, 'stamps', `${row.name}.json`);
  const log = join(out, 'logs', `${row.name}.log`);
  const stderrLog = join(out, 'logs', `${row.name}.stderr.log`);
  const previous = JSON.parse(await readFile(stamp, 'utf8').catch(() => '{}'));
  if (previous.hash === digest) {
    console.log(`build ${row.name}: up to date (built in ${seconds(previous.ms)} by an earlier pass)`);
    return { output: await readFile(log, 'utf8'), stderr: await readFile(stderrLog, 'utf8') };
  }
  await rm(stamp, { force: true });
  for (const path of row.clean ?? []) await rm(join(dir, path), { recursive: true, force: true });
  await mkdir(join(out, 'logs'), { recursive: true });
  await mkdir(join(out, 'stamps'), { recursive: true });
  const started = Date.now();
  let output = '';
  let stderr = '';
  try {
    for (const [command, args] of row.steps) {
      const result = await run(command, args, { cwd: dir, env: row.env, timeout: row.buildTimeout ?? 180_000 });
      output += result.output;
      stderr += result.stderr;
    }
  } catch (error) {
    await writeFile(log, String(error.message));
    throw error;
  }
  const ms = Date.now() - started;
  await writeFile(log, output);
  await writeFile(stderrLog, stderr);
  await writeFile(stamp, JSON.stringify({ hash: digest, ms }));
  console.log(`build ${row.name}: ${row.steps.length ? seconds(ms) : 'no build step'}`);
  return { output, stderr };
}

// ---------------------------------------------------------------------------------------------
// Serving.

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Static files from `folder` of the app. */
const statically = (folder) => async (row) => {
  const server = await startStaticServer(join(workspace, row.dir, folder));
  return { url: server.url, output: () => '', close: server.close };
};

/** A server process, `command` (with `{port}` in its arguments replaced), until `close()`. */
const serverProcess = (command, args, env = {}) => async (row) => {
  const port = await freePort();
  const child = startChild(command, args.map((arg) => arg.replace('{port}', port)), {
    cwd: join(workspace, row.dir),
    env: { PORT: String(port), HOST: '127.0.0.1', ...row.env, ...env },
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the ${row.name} server exited with ${child.exitCode}:\n${child.output.slice(-4000)}`);
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`the ${row.name} server did not answer within 60 s:\n${child.output.slice(-4000)}`);
    }
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) }).catch(() => null);
    if (response) {
      await response.arrayBuffer();
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url, output: () => child.output, close: () => stopChild(child) };
};

// ---------------------------------------------------------------------------------------------
// The rows.

/** The README's line for esbuild and Rollup: the package's .wasm files beside the bundle. */
const copyWasm = ['sh', ['-c', 'cp ../node_modules/appwrite-realtime-wasm/*.wasm dist/']];

const rows = [
  {
    name: 'vite-build', dir: 'vite', clean: ['dist'], wasmAsset: true,
    steps: [[bin('vite'), ['build']]],
    serve: statically('dist'), page: '/index.html',
  },
  {
    // One setting: `optimizeDeps: { exclude: ['appwrite-realtime-wasm'] }` (vite.config.js).
    name: 'vite-dev', dir: 'vite-dev', wasmAsset: true,
    steps: [],
    serve: serverProcess(bin('vite'), ['--port', '{port}', '--strictPort', '--host', '127.0.0.1']), page: '/',
  },
  {
    // No setting: pre-bundling moves the JS away from its .wasm, the dev server answers the
    // .wasm's URL with its HTML page, and the package loads its embedded copy with a warning
    // that names the setting.
    name: 'vite-dev-no-config', dir: 'vite',
    steps: [],
    serve: serverProcess(bin('vite'), ['--port', '{port}', '--strictPort', '--host', '127.0.0.1']), page: '/',
    fallback: /optimizeDeps: \{ exclude: \['appwrite-realtime-wasm'\] \}/,
  },
  {
    name: 'webpack', dir: 'webpack', clean: ['dist'], wasmAsset: true,
    steps: [[bin('webpack'), []]],
    serve: statically('.'), page: '/index.html',
    noWarning: /WARNING/,
  },
  {
    name: 'parcel', dir: 'parcel', clean: ['dist'], wasmAsset: true,
    // No cache: a build runs only when the package or the app changed (the stamps above), and
    // Parcel 2.16's cache kept a failed build's bundle graph for the next one.
    steps: [[bin('parcel'), ['build', 'index.html', '--dist-dir', 'dist', '--no-cache', '--no-autoinstall']]],
    serve: statically('dist'), page: '/index.html',
    noWarning: /⚠|warn/i,
  },
  {
    // One line: the .wasm files copied beside the bundle.
    name: 'rollup', dir: 'rollup', clean: ['dist'], wasmAsset: true,
    steps: [[bin('rollup'), ['-c']], copyWasm],
    serve: statically('.'), page: '/index.html',
    noWarning: /circular/i, warningsIn: 'stderr',
  },
  {
    // One line: the .wasm files copied beside the bundle.
    name: 'esbuild-esm', dir: 'esbuild', wasmAsset: true,
    steps: [[bin('esbuild'), ['esm.js', '--bundle', '--format=esm', '--outfile=dist/esm.js']], copyWasm],
    serve: statically('.'), page: '/esm.html',
    noWarning: /warning/i,
  },
  {
    name: 'esbuild-iife', dir: 'esbuild',
    steps: [[bin('esbuild'), ['main.js', '--bundle', '--target=es2020', '--outfile=dist/iife.js']]],
    serve: statically('.'), page: '/iife.html',
    noWarning: /warning/i,
  },
  {
    name: 'next-webpack', dir: 'next', clean: ['.next'], wasmAsset: true, env: { NEXT_DIST_DIR: '.next' },
    steps: [[bin('next'), ['build']]], buildTimeout: 400_000,
    serve: serverProcess(bin('next'), ['start', '-p', '{port}', '-H', '127.0.0.1']), page: '/',
    // Next's webpack compiles client code for ['web', 'es6'], where it would flag a top-level await.
    noWarning: /appwrite-realtime-wasm|topLevelAwait/, ssr: true, prerendered: true,
  },
  {
    name: 'next-turbopack', dir: 'next', clean: ['.next-turbopack'], wasmAsset: true, env: { NEXT_DIST_DIR: '.next-turbopack' },
    steps: [[bin('next'), ['build', '--turbopack']]], buildTimeout: 400_000,
    serve: serverProcess(bin('next'), ['start', '-p', '{port}', '-H', '127.0.0.1']), page: '/',
    noWarning: /appwrite-realtime-wasm|topLevelAwait/, ssr: true, prerendered: true,
  },
  {
    name: 'sveltekit', dir: 'sveltekit', clean: ['build', '.svelte-kit'], wasmAsset: true,
    steps: [[bin('vite'), ['build']]], buildTimeout: 300_000,
    serve: serverProcess(process.execPath, ['build']), page: '/',
    noWarning: /appwrite-realtime-wasm|top-level await/i, ssr: true,
  },
  {
    name: 'nuxt', dir: 'nuxt', clean: ['.output', '.nuxt'], wasmAsset: true,
    steps: [[bin('nuxt'), ['build']]], buildTimeout: 400_000,
    serve: serverProcess(process.execPath, ['.output/server/index.mjs']), page: '/',
    noWarning: /appwrite-realtime-wasm|top-level await/i, ssr: true,
  },
];

const suite = useEmulatorAndBrowser();

/** `&quot;` and the like back to text, enough for the strings the apps render. */
const unescape = (html) => html
  .replace(/&quot;|&#34;|&#x22;/g, '"').replace(/&#39;|&#x27;/g, "'")
  .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

for (const row of rows) {
  describe(row.name, () => {
    let built;
    let server;

    before(async () => {
      built = await build(row);
      server = await row.serve(row);
    }, { timeout: (row.buildTimeout ?? 180_000) + 120_000 });

    after(async () => {
      await server?.close();
      const output = server?.output();
      if (output) await writeFile(join(out, 'logs', `${row.name}.server-${browserName}.log`), output);
    }, { timeout: 30_000 });

    if (row.noWarning) {
      test(`the build prints no warning matching ${row.noWarning}`, { skip: noBrowser }, () => {
        const text = row.warningsIn === 'stderr' ? built.stderr : built.output;
        const lines = text.split('\n').filter((line) => row.noWarning.test(line));
        assert.deepEqual(lines, [], `${row.name} build output (target/bundlers/logs/${row.name}.log):\n${text.slice(-3000)}`);
      });
    }

    if (row.ssr) {
      test('the server renders the package\'s Query and Client into the HTML', { skip: noBrowser }, async () => {
        const response = await fetch(`${server.url}/`, { signal: AbortSignal.timeout(20_000) });
        const html = unescape(await response.text());
        assert.equal(response.status, 200, html.slice(0, 2000));
        assert.ok(html.includes('{"method":"equal","attribute":"status","values":["published"]}'), html.slice(0, 4000));
        assert.match(html, /id="server-project"[^>]*>(<!--[^>]*-->)*demo(<!--[^>]*-->)*</);
        if (row.prerendered) assert.match(built.output, /○ \//, 'the page is prerendered at build time');
      });
    }

    test(`the page receives an event from the emulator in ${browserName}`, { timeout: 90_000 }, async () => {
      const page = await suite.browser.newPage();
      const messages = [];
      const wasm = [];
      page.on('console', (message) => messages.push(`${message.type()}: ${message.text()}`));
      page.on('pageerror', (error) => messages.push(`page error: ${error.message}`));
      page.on('response', (response) => {
        if (/\.wasm(\?|$)/.test(response.url())) wasm.push(`${response.status()} ${response.headers()['content-type']} ${response.url()}`);
      });
      const details = async () => [
        `status: ${await page.locator('#status').textContent({ timeout: 1_000 }).catch(() => '(no #status)')}`,
        `console:\n  ${messages.join('\n  ') || '(nothing)'}`,
        `.wasm responses:\n  ${wasm.join('\n  ') || '(none)'}`,
        `server output:\n${server.output().slice(-3000)}`,
      ].join('\n');
      try {
        const endpoint = `${suite.emulator.url}/v1`;
        await page.goto(`${server.url}${row.page}?endpoint=${encodeURIComponent(endpoint)}`, { timeout: 60_000 });
        await page.locator('#status[data-state="subscribed"]').waitFor({ timeout: 30_000 })
          .catch(async (error) => assert.fail(`${error.message.split('\n')[0]}\n${await details()}`));

        const title = `sent to ${row.name} in ${browserName}`;
        const response = await fetch(`${suite.emulator.url}/v1/databases/main/collections/posts/documents`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-Appwrite-Project': 'demo' },
          body: JSON.stringify({ documentId: 'unique()', data: { title }, permissions: ['read("any")'] }),
        });
        assert.equal(response.status, 201);
        const { $id } = await response.json();
        const item = page.locator(`#events li[data-document-id="${$id}"]`);
        await item.waitFor({ timeout: 15_000 })
          .catch(async (error) => assert.fail(`${error.message.split('\n')[0]}\n${await details()}`));
        assert.match(await item.textContent(), new RegExp(`\\.create: ${title}$`));

        // The default entry falls back to an embedded copy, with a warning, when the .wasm does not
        // load: only where the row expects it, with the setting that avoids it.
        const fromPackage = messages.filter((message) => /appwrite-realtime-wasm|page error/.test(message));
        if (row.fallback) {
          assert.equal(fromPackage.length, 1, await details());
          assert.match(fromPackage[0], /^warning: .*Using the copy embedded in the JS/, await details());
          assert.match(fromPackage[0], row.fallback);
        } else {
          assert.deepEqual(fromPackage, [], await details());
        }
        if (row.wasmAsset) {
          assert.ok(wasm.some((line) => line.startsWith('200 application/wasm')), `the .wasm was not served as application/wasm\n${await details()}`);
        }
      } finally {
        await page.close();
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// TypeScript: e2e/bundlers/tsc/consumer.ts under each moduleResolution, with the workspace's tsc.

const typeChecks = {
  'node10 (module commonjs)': 'node10',
  node16: 'node16',
  nodenext: 'nodenext',
  'bundler (module esnext)': 'bundler',
  'bundler, lib es2022 and types [] (no DOM)': 'bundler-no-dom',
};

describe('tsc --strict', () => {
  for (const [name, config] of Object.entries(typeChecks)) {
    test(`type-checks a consumer under moduleResolution ${name}`, { skip: noBrowser }, async () => {
      await run(bin('tsc'), ['-p', `tsconfig.${config}.json`], { cwd: join(workspace, 'tsc'), timeout: 120_000 });
    });
  }
});
