// What differs between browser engines and could break the SDK in one of them: the close codes
// a page may use and the ones it is told, and timers that fire late, as in a background tab.
// Run in every engine of `npm test` (E2E_BROWSER).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEmulatorAndBrowser, browserName } from './harness.mjs';

const suite = useEmulatorAndBrowser();

async function control(path, body) {
  const response = await fetch(`${suite.emulator.url}/_emulator${path}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.ok(response.ok, `${path}: ${response.status} ${await response.text()}`);
}

/** The emulator's connection that holds a subscription on `channel`, once there is one. */
async function connectionOn(page, channel, otherThan) {
  return page.evaluate(async ({ channel, otherThan }) => {
    const deadline = performance.now() + 10_000;
    for (;;) {
      const { connections } = await fetch('/_emulator/connections').then((r) => r.json());
      const found = connections.find((c) => c.id !== otherThan && c.subscriptions.some((s) => s.channels.includes(channel)));
      if (found) return found.id;
      if (performance.now() > deadline) throw new Error(`no connection holds ${channel}`);
    }
  }, { channel, otherThan });
}

/**
 * A page on the emulator's origin where every `WebSocket.close(code)` call the SDK makes is
 * recorded with whether the browser accepted it, and every frame sent is counted by type.
 */
async function instrumentedPage() {
  const page = await suite.browser.newPage();
  await page.goto(`${suite.emulator.url}/e2e/conformance/blank.html`);
  await page.evaluate(() => {
    window.closeCalls = [];
    window.sent = {};
    window.pingTimes = [];
    const { close, send } = WebSocket.prototype;
    WebSocket.prototype.close = function (code, reason) {
      try {
        close.call(this, code, reason);
        window.closeCalls.push({ code, accepted: true });
      } catch (error) {
        window.closeCalls.push({ code, accepted: false, error: String(error) });
        throw error;
      }
    };
    WebSocket.prototype.send = function (data) {
      const type = /"type":"(\w+)"/.exec(data)?.[1] ?? '?';
      window.sent[type] = (window.sent[type] ?? 0) + 1;
      if (type === 'ping') window.pingTimes.push(performance.now());
      return send.call(this, data);
    };
  });
  return page;
}

test(`close codes: the SDK closes with codes ${browserName} accepts, and reports the codes it is told`, async () => {
  const page = await instrumentedPage();
  const channel = 'databases.engines.collections.close-codes.documents';
  await page.evaluate(async ({ endpoint, channel }) => {
    const { Client, Realtime } = await import('/pkg/index.js');
    window.realtime = new Realtime(new Client().setEndpoint(endpoint).setProject('demo'), {
      heartbeatInterval: 150, pongTimeout: 150, reconnectDelay: 50, maxReconnectDelay: 100,
    });
    window.errors = [];
    window.opens = 0;
    window.realtime.onError((error, code) => window.errors.push({ kind: error.kind, code }));
    window.realtime.onOpen(() => { window.opens += 1; });
    await window.realtime.subscribe(channel, () => {});
  }, { endpoint: `${suite.emulator.url}/v1`, channel });

  // A server that goes silent: the SDK gives up on the pong and closes with its own code, 4000.
  const silent = await connectionOn(page, channel);
  await control('/silence', { connectionId: silent });
  await page.waitForFunction(() => window.errors.some((e) => e.kind === 'pong-timeout'));
  // A socket cut without a close frame: every engine must report it as 1006.
  const dropped = await connectionOn(page, channel, silent);
  const errorsBefore = await page.evaluate(() => window.errors.length);
  await control('/drop', { connectionId: dropped });
  await page.waitForFunction((from) => window.errors.slice(from).some((e) => e.kind === 'closed' && e.code === 1006), errorsBefore);
  await connectionOn(page, channel, dropped);
  await page.evaluate(() => window.realtime.disconnect());

  const { errors, closeCalls } = await page.evaluate(() => ({ errors: window.errors, closeCalls: window.closeCalls }));
  assert.deepEqual(errors.find((e) => e.kind === 'pong-timeout'), { kind: 'pong-timeout', code: 4000 });
  assert.ok(closeCalls.some((call) => call.code === 4000), `the silent socket was closed with 4000: ${JSON.stringify(closeCalls)}`);
  assert.ok(closeCalls.at(-1).code === 1000, `disconnect() closes with 1000: ${JSON.stringify(closeCalls)}`);
  assert.deepEqual(closeCalls.filter((call) => !call.accepted), [], `${browserName} accepted every close code`);
  await page.close();
});

test('late timers, as in a background tab, neither time out a live socket nor stop the heartbeat', async () => {
  const page = await instrumentedPage();
  const channel = 'databases.engines.collections.late-timers.documents';
  await page.evaluate(async ({ endpoint, channel }) => {
    // Background tabs run timers at most once a second (Chromium and Firefox alike), later still
    // under budget throttling: here every timer of the page fires no sooner than 1 s, far past
    // the 100 ms pong deadline and the 200 ms heartbeat. Socket events are not delayed, as in
    // a background tab.
    const native = window.setTimeout;
    window.setTimeout = (callback, delay, ...rest) => native(callback, Math.max(Number(delay) || 0, 1000), ...rest);
    const { Client, Realtime } = await import('/pkg/index.js');
    window.realtime = new Realtime(new Client().setEndpoint(endpoint).setProject('demo'), {
      heartbeatInterval: 200, pongTimeout: 100,
    });
    window.errors = [];
    window.events = [];
    window.opens = 0;
    window.realtime.onError((error, code) => window.errors.push({ kind: error.kind, code, message: error.message }));
    window.realtime.onOpen(() => { window.opens += 1; });
    await window.realtime.subscribe(channel, (event) => window.events.push(event.payload.n));
  }, { endpoint: `${suite.emulator.url}/v1`, channel });

  // Four pings, each sent by a timer that fired at least 800 ms late.
  await page.waitForFunction(() => (window.sent.ping ?? 0) >= 4, null, { timeout: 15_000 });
  const response = await fetch(`${suite.emulator.url}/v1/databases/engines/collections/late-timers/documents`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Appwrite-Project': 'demo' },
    body: JSON.stringify({ documentId: 'unique()', data: { n: 1 }, permissions: ['read("any")'] }),
  });
  assert.equal(response.status, 201);
  await page.waitForFunction(() => window.events.includes(1));

  const { errors, opens, closeCalls, pingTimes } = await page.evaluate(() => ({
    errors: window.errors, opens: window.opens, closeCalls: window.closeCalls, pingTimes: window.pingTimes,
  }));
  const gaps = pingTimes.slice(1).map((at, i) => Math.round(at - pingTimes[i]));
  assert.ok(gaps.every((gap) => gap >= 950), `the timers were late: pings ${gaps.join(', ')} ms apart`);
  assert.deepEqual(errors, [], 'no error: the pongs came in time, however late the timers');
  assert.equal(opens, 1, 'the first socket served throughout');
  assert.deepEqual(closeCalls, [], 'no socket was closed');
  await page.evaluate(() => window.realtime.disconnect());
  await page.close();
});
