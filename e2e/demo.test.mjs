// The demo page served by the emulator: loads the wasm package, connects, and shows live events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, launchBrowser } from './harness.mjs';

let emulator;
let browser;
before(async () => {
  emulator = await startEmulator();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await emulator?.stop();
});

test('the demo loads the wasm module and connects to the emulator', async () => {
  const page = await browser.newPage();
  await page.goto(`${emulator.url}/www/`);
  await page.locator('#state[data-state="connected"]').waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('#state').textContent(), 'connected');
});

test('a post created on the page arrives through the realtime subscription', async () => {
  const page = await browser.newPage();
  await page.goto(`${emulator.url}/www/`);
  await page.locator('#state[data-state="connected"]').waitFor({ timeout: 10_000 });
  await page.fill('#title', 'written in the e2e test');
  await page.click('button[type="submit"]');
  await page.locator('#posts li', { hasText: 'written in the e2e test' }).waitFor({ timeout: 5_000 });
  const logged = await page.locator('#log li').first().textContent();
  assert.match(logged, /databases\.main\.collections\.posts\.documents\.[^.]+\.create$/);
});
