// Shared set-up for the end-to-end suites: an emulator on a free port serving the repository
// (so /www/ and /pkg/ resolve), and a headless browser driven by playwright-core: Debian's
// Chromium, or with E2E_BROWSER=firefox Debian's Firefox ESR through WebDriver BiDi.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { before, after, afterEach } from 'node:test';
import { chromium, firefox } from 'playwright-core';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The engine these suites drive: `chromium` (the default) or `firefox`. */
export const browserName = process.env.E2E_BROWSER || 'chromium';
if (!['chromium', 'firefox'].includes(browserName)) {
  throw new Error(`E2E_BROWSER must be chromium or firefox, not ${browserName}`);
}

/**
 * For `test(name, { skip: noBrowser }, fn)` on a test that runs in Node alone: it runs in the
 * Chromium pass only, so that it counts once however many engines the suites run in.
 */
export const noBrowser = browserName === 'chromium' ? false : 'runs in Node without a browser: counted once, in the chromium run';

/**
 * Resolves with `check()`'s first truthy value, polled every 25 ms; fails with `what` after `ms`.
 * For conditions no event announces (the emulator's sockets, a page's state).
 */
export async function until(what, check, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Starts the emulator built by `cargo build -p appwrite-realtime-emulator`; resolves with its URL. */
export async function startEmulator(extraArgs = []) {
  const binary = join(root, 'target/debug/appwrite-realtime-emulator');
  const child = spawn(binary, ['--port', '0', '--control', '--seed-demo', '--static-root', root, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const [line] = await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => { throw new Error(`the emulator exited with ${code}`); }),
  ]);
  const url = line.split(' ').pop();
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}

/**
 * Launches the headless browser with a fresh profile; `close()` removes the profile.
 * `chromiumArgs` are extra command-line flags for Chromium; Firefox has no equivalent for them.
 */
export async function launchBrowser({ chromiumArgs = [] } = {}) {
  const profile = await mkdtemp(join(tmpdir(), `e2e-${browserName}-`));
  const context = browserName === 'firefox'
    ? await firefox.launchPersistentContext(profile, {
      // The `moz-` channel selects playwright-core's WebDriver-BiDi launcher, which drives a stock
      // Firefox; the relay makes up for the commands Firefox ESR lacks (see the file).
      channel: 'moz-firefox',
      executablePath: join(root, 'e2e/firefox-bidi-relay.mjs'),
      headless: true,
    })
    : await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', ...chromiumArgs,
      ],
    });
  const pages = new Set();
  return {
    context,
    async newPage() {
      const page = await context.newPage();
      pages.add(page);
      page.on('close', () => pages.delete(page));
      page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
      return page;
    },
    /** Closes the pages still open, with their sockets. */
    async closePages() {
      await Promise.all([...pages].map((page) => page.close()));
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Registers hooks that start an emulator and a browser before the calling suite's tests and stop
 * them after; the returned object holds both once the hooks ran. Pages a test left open are
 * closed after it, unless `keepPages` (for a suite whose tests share pages).
 */
export function useEmulatorAndBrowser({ keepPages = false } = {}) {
  const suite = { emulator: undefined, browser: undefined };
  before(async () => {
    suite.emulator = await startEmulator();
    suite.browser = await launchBrowser();
  });
  // A test that failed before closing its pages would leave their sockets subscribed, and their
  // events counted in the tests after it.
  if (!keepPages) afterEach(() => suite.browser?.closePages());
  after(async () => {
    await suite.browser?.close();
    await suite.emulator?.stop();
  });
  return suite;
}

/**
 * A new user of the emulator at `emulatorUrl`, signed in without cookies, as a server-rendered app
 * or a cookie-less browser signs in: their id and the session secret Appwrite takes as its cookie,
 * its X-Appwrite-Session header or `Client.setSession`.
 */
export async function signUp(emulatorUrl, prefix) {
  const endpoint = `${emulatorUrl}/v1`;
  const email = `${prefix}-${Date.now()}@example.com`;
  const headers = { 'Content-Type': 'application/json', 'X-Appwrite-Project': 'demo' };
  const post = (path, body) => fetch(`${endpoint}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })
    .then((response) => response.json());
  const user = await post('/account', { userId: 'unique()', email, password: 'password123' });
  const session = await post('/account/sessions/email', { email, password: 'password123' });
  return { userId: user.$id, token: Buffer.from(JSON.stringify({ id: session.userId, secret: session.secret })).toString('base64') };
}

/** mulberry32: a small seeded generator, so a seed replays the same sequence. */
export function generator(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = (list) => list[Math.floor(next() * list.length)];
  /** One of `entries` ([weight, value] pairs) by weight. */
  const weighted = (entries) => {
    let roll = next() * entries.reduce((sum, [weight]) => sum + weight, 0);
    for (const [weight, value] of entries) if ((roll -= weight) < 0) return value;
    return entries[entries.length - 1][1];
  };
  return { next, pick, weighted };
}

/** A REST call to the emulator at `emulatorUrl` as the demo project: its JSON answer (or null), or an error with its text. */
export async function restCall(emulatorUrl, method, path, body) {
  const response = await fetch(`${emulatorUrl}/v1${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', 'X-Appwrite-Project': 'demo' },
    body: body && JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A POST to the control surface of the emulator at `emulatorUrl`: its answer (JSON when it is), or an error with its text. */
export async function controlCall(emulatorUrl, action, body = {}) {
  const response = await fetch(`${emulatorUrl}/_emulator/${action}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${action}: ${response.status} ${text}`);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
