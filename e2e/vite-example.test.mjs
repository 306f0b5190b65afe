// examples/vite consumes the package as a bundler user would (`file:../../pkg`): it must install,
// build with Vite 7, and receive a real event in the browser, served by the emulator.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { useEmulatorAndBrowser, root, noBrowser } from './harness.mjs';

const run = promisify(execFile);
const example = join(root, 'examples/vite');

/**
 * Installs the example's node_modules unless they were installed from this very package-lock.json.
 * `npm install --no-save` rather than `npm ci`: the lock pins every package, but the registry this
 * repository is built against lacks rollup's binaries for other platforms, and `npm ci` insists
 * on lock entries for those.
 */
async function installExample() {
  const lock = await readFile(join(example, 'package-lock.json'));
  const hash = createHash('sha256').update(lock).digest('hex');
  const stamp = join(example, 'node_modules/.e2e-lock-hash');
  const installed = await readFile(stamp, 'utf8').catch(() => '');
  if (installed === hash) return;
  await run('npm', ['install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: example, timeout: 300_000 });
  await writeFile(stamp, hash);
}

before(async () => {
  await installExample();
  await run('npx', ['--no-install', 'vite', 'build'], { cwd: example, timeout: 120_000 });
});

const suite = useEmulatorAndBrowser();

test("the example's Vitest test imports the package in Node with no init()", { skip: noBrowser }, async () => {
  const { stdout } = await run('npx', ['--no-install', 'vitest', 'run'], { cwd: example, timeout: 120_000 });
  assert.match(stdout, /1 passed/);
});

test('the Vite build emits the .wasm as a hashed asset', { skip: noBrowser }, async () => {
  const assets = await readdir(join(example, 'dist/assets'));
  assert.ok(assets.some((name) => /^appwrite_realtime_wasm_bg-[\w-]+\.wasm$/.test(name)), assets.join(', '));
});

test('the built page preloads the .wasm, and the package uses that download', async () => {
  const html = await readFile(join(example, 'dist/index.html'), 'utf8');
  const links = html.match(/<link [^>]*rel="preload"[^>]*>/g) ?? [];
  assert.equal(links.length, 1, `one preload, not the live views' .wasm: ${links.join(', ')}`);
  const [link] = links;
  assert.match(link ?? '', /href="\.\/assets\/appwrite_realtime_wasm_bg-[\w-]+\.wasm"/, html);
  assert.match(link, /as="fetch"/);
  assert.match(link, /crossorigin/);
  const page = await suite.browser.newPage();
  const wasmRequests = [];
  page.on('request', (request) => { if (request.url().endsWith('.wasm')) wasmRequests.push(request.url()); });
  await page.goto(`${suite.emulator.url}/examples/vite/dist/`);
  await page.locator('#status[data-state="subscribed"]').waitFor({ timeout: 10_000 });
  assert.equal(wasmRequests.length, 1, `the preload and the package's fetch are one request: ${wasmRequests.join(', ')}`);
  await page.close();
});

test('the built Vite app loads the package and receives an event from the emulator', async () => {
  const page = await suite.browser.newPage();
  await page.goto(`${suite.emulator.url}/examples/vite/dist/`);
  await page.locator('#status[data-state="subscribed"]').waitFor({ timeout: 10_000 });

  const response = await fetch(`${suite.emulator.url}/v1/databases/main/collections/posts/documents`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Appwrite-Project': 'demo' },
    body: JSON.stringify({ documentId: 'unique()', data: { title: 'sent to the Vite app' }, permissions: ['read("any")'] }),
  });
  assert.equal(response.status, 201);
  const { $id } = await response.json();
  const item = page.locator(`#events li[data-document-id="${$id}"]`);
  await item.waitFor();
  assert.match(await item.textContent(), /\.create: sent to the Vite app$/);
  await page.close();
});
