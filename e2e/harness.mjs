// Shared set-up for the end-to-end suites: an emulator on a free port serving the repository
// (so /www/ and /pkg/ resolve), and headless Debian Chromium driven by playwright-core.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

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

/** Launches headless Chromium with a fresh profile; `close()` removes the profile. */
export async function launchBrowser(extraArgs = []) {
  const profile = await mkdtemp(join(tmpdir(), 'e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', ...extraArgs,
    ],
  });
  return {
    context,
    async newPage() {
      const page = await context.newPage();
      page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
      return page;
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Registers hooks that start an emulator and a browser before the calling suite's tests and stop
 * them after; the returned object holds both once the hooks ran.
 */
export function useEmulatorAndBrowser() {
  const suite = { emulator: undefined, browser: undefined };
  before(async () => {
    suite.emulator = await startEmulator();
    suite.browser = await launchBrowser();
  });
  after(async () => {
    await suite.browser?.close();
    await suite.emulator?.stop();
  });
  return suite;
}
