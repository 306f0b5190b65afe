// Chaos: the browser SDK talks to the emulator through a fault-injecting TCP proxy (drops,
// delays, half-open sockets that go silent, slow reads, refused reconnects, frames split at odd
// points) while a scripted session subscribes, updates, unsubscribes and signs in, and events are
// published throughout. Checked: every event published while subscribed and connected arrives
// exactly once and in order, nothing ever arrives twice or out of order, the server's
// subscriptions converge to the client's after every fault, nothing reaches the console or goes
// unhandled, and JS heap and wasm memory stay flat. The run is seeded, so a failure replays.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startEmulator, launchBrowser, browserName, until } from './harness.mjs';

const SEED = Number(process.env.CHAOS_SEED ?? 20261129);
const ROUNDS = 36;
/**
 * How long the repeated-drop pattern runs: 60 s by default, to keep the suite short in both
 * engines; CHAOS_DROPS_MS=120000 runs the 2 minutes of issue 21's measurement.
 */
const DROPS_FOR_MS = Number(process.env.CHAOS_DROPS_MS ?? 60_000);

/** A small seeded PRNG (mulberry32), so a failing run can be replayed with CHAOS_SEED. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A TCP proxy in front of the emulator whose behaviour changes on command. Each direction of
 * each connection forwards through an ordered queue, so delaying or splitting never reorders.
 */
function startFaultProxy(targetPort) {
  // `acceptThenClose`: each new socket is closed once the server's first bytes (the handshake's
  // answer, perhaps `connected`) reached the client, and nothing after them: a server that
  // accepts and closes at once.
  const proxy = { mode: 'pass', refusing: false, acceptThenClose: false, acceptedThenClosed: 0, held: null, pairs: new Set(), connections: 0, refused: 0 };
  const send = async (pair, to, chunk) => {
    await proxy.held; // a delay: bytes wait, in order, until released
    if (pair.silent) return; // half-open: both ends stay connected, nothing gets through
    switch (proxy.mode) {
      case 'split': // frames cut at odd points, each piece its own TCP write
        for (let at = 0; at < chunk.length;) {
          const size = 1 + (chunk[at] % 7);
          to.write(chunk.subarray(at, at + size));
          at += size;
          await new Promise((resolve) => setImmediate(resolve));
        }
        return;
      case 'slow': // a slow reader: 64 bytes every 2 ms
        for (let at = 0; at < chunk.length; at += 64) {
          to.write(chunk.subarray(at, at + 64));
          await pause(2);
        }
        return;
      default:
        to.write(chunk);
    }
  };
  const server = net.createServer((client) => {
    if (proxy.refusing) {
      proxy.refused += 1;
      client.destroy();
      return;
    }
    proxy.connections += 1;
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair = { client, upstream };
    proxy.pairs.add(pair);
    const close = () => {
      client.destroy();
      upstream.destroy();
      proxy.pairs.delete(pair);
    };
    for (const [from, to] of [[client, upstream], [upstream, client]]) {
      let queue = Promise.resolve();
      from.on('data', (chunk) => {
        pair.pending = (pair.pending ?? 0) + chunk.length;
        queue = queue
          .then(() => (to.destroyed ? undefined : send(pair, to, chunk)))
          .then(() => {
            pair.pending -= chunk.length;
            if (from === upstream && proxy.acceptThenClose && !pair.silent) {
              proxy.acceptedThenClosed += 1;
              pair.silent = true; // nothing more gets through, the subscribe ack least of all
              setTimeout(close, 20); // once the written bytes are out
            }
          })
          .catch(close);
      });
      from.on('close', close);
      from.on('error', close);
    }
  });
  proxy.listen = () => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
  proxy.dropAll = () => { for (const { client, upstream } of proxy.pairs) { client.destroy(); upstream.destroy(); } };
  proxy.close = () => { proxy.dropAll(); return new Promise((resolve) => server.close(resolve)); };
  return proxy;
}

let emulator;
let browser;
let proxy;
let proxyPort;

before(async () => {
  emulator = await startEmulator(process.env.CHAOS_VERBOSE ? ['--verbose'] : []);
  browser = await launchBrowser({ chromiumArgs: ['--js-flags=--expose-gc'] });
  proxy = startFaultProxy(Number(new URL(emulator.url).port));
  proxyPort = await proxy.listen();
});

after(async () => {
  await proxy?.close();
  await browser?.close();
  await emulator?.stop();
});

async function api(method, path, body, headers = {}) {
  const response = await fetch(`${emulator.url}/v1${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', 'X-Appwrite-Project': 'demo', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${await response.clone().text()}`);
  return response.json();
}

test('a long session through injected faults loses, repeats and reorders nothing', { timeout: 120_000 }, async () => {
  const next = random(SEED);
  const page = await browser.newPage();
  const problems = [];
  // The browser itself logs every failed WebSocket handshake, which no page can prevent: Chromium
  // as a console error, Firefox as a script error (which WebDriver BiDi reports as a page error),
  // each in its own words. All else that reaches the console or goes uncaught would be ours.
  const browserNetworkLog = /^WebSocket connection to '.*' failed: |^Firefox can’t establish a connection to the server at ws:/;
  page.on('console', (message) => {
    if (['error', 'warning'].includes(message.type()) && !browserNetworkLog.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => { if (!browserNetworkLog.test(error.message)) problems.push(error.message); });
  await page.goto(`${emulator.url}/e2e/conformance/blank.html`);
  await page.evaluate(async ({ endpoint, realtimeEndpoint, verbose }) => {
    window.frameLog = [];
    if (verbose) { // CHAOS_VERBOSE=1: every frame but pings and pongs, for the failure message
      const Native = window.WebSocket;
      window.WebSocket = class extends Native {
        constructor(...args) {
          super(...args);
          const id = Math.random().toString(36).slice(2, 6);
          const log = (line) => { if (!/"p[io]ng"/.test(line)) window.frameLog.push(`${id} ${line.slice(0, 90)}`); };
          log('new');
          this.addEventListener('message', (e) => log(`< ${e.data}`));
          this.addEventListener('close', (e) => log(`closed ${e.code}`));
          const send = this.send.bind(this);
          this.send = (data) => { log(`> ${data}`); send(data); };
        }
      };
    }
    const sdk = await import('/pkg/index.js');
    const slim = await import('/pkg/appwrite_realtime_wasm.js');
    window.wasmMemory = (await slim.default()).memory; // the instance the entry initialised
    window.client = new sdk.Client().setEndpoint(endpoint).setEndpointRealtime(realtimeEndpoint).setProject('demo');
    window.realtime = new sdk.Realtime(window.client, {
      heartbeatInterval: 500, pongTimeout: 1000, reconnectDelay: 100, maxReconnectDelay: 800,
    });
    window.chaos = { received: {}, opens: 0, closes: 0, resyncs: 0, errors: {}, unhandled: [], connected: false };
    window.subscriptions = new Map();
    const { chaos } = window;
    window.realtime.onOpen(() => { chaos.opens += 1; chaos.connected = true; });
    window.realtime.onClose(() => { chaos.closes += 1; chaos.connected = false; });
    window.realtime.onResync(() => { chaos.resyncs += 1; });
    window.realtime.onError((error) => { chaos.errors[error.kind] = (chaos.errors[error.kind] ?? 0) + 1; });
    window.addEventListener('unhandledrejection', (event) => chaos.unhandled.push(String(event.reason)));
    window.channelOf = (collection) => `databases.chaos.collections.${collection}.documents`;
    window.listenTo = (collection) => (event) => {
      (chaos.received[collection] ??= []).push(event.payload.seq);
    };
    // The JS heap can be measured only in Chromium (performance.memory, and gc() from
    // --expose-gc); other engines give a page neither, so there only wasm memory is checked.
    window.memory = () => {
      window.gc?.();
      return { heap: performance.memory?.usedJSHeapSize ?? null, wasm: window.wasmMemory.buffer.byteLength };
    };
  }, { endpoint: `${emulator.url}/v1`, realtimeEndpoint: `ws://127.0.0.1:${proxyPort}/v1`, verbose: Boolean(process.env.CHAOS_VERBOSE) });

  // The client's intended subscriptions, the events sent per collection, and the session's user.
  const active = new Set();
  const published = {};
  const stable = {}; // per collection: sequence numbers published while subscribed and converged
  let sequence = 0;
  let user = null;
  const publish = async (collection) => {
    sequence += 1;
    (published[collection] ??= []).push(sequence);
    await api('POST', `/databases/chaos/collections/${collection}/documents`, {
      documentId: 'unique()', data: { seq: sequence }, permissions: ['read("any")'],
    });
    return sequence;
  };
  const serverConverged = async () => {
    const { connections } = await fetch(`${emulator.url}/_emulator/connections`).then((r) => r.json());
    const live = await page.evaluate(() => window.chaos.connected);
    if (!live || connections.length !== 1) return false;
    const [connection] = connections;
    const channels = new Set(connection.subscriptions.flatMap((s) => s.channels));
    const wanted = new Set([...active].map((c) => `databases.chaos.collections.${c}.documents`));
    const sameChannels = channels.size === wanted.size && [...wanted].every((c) => channels.has(c));
    return sameChannels && connection.subscriptions.length === active.size && connection.user === user;
  };

  const signUp = async () => {
    const email = `chaos-${Date.now()}-${Math.floor(next() * 1e9)}@example.com`;
    const account = await api('POST', '/account', { userId: 'unique()', email, password: 'password123' });
    const session = await api('POST', '/account/sessions/email', { email, password: 'password123' });
    return { id: account.$id, token: Buffer.from(JSON.stringify({ id: session.userId, secret: session.secret })).toString('base64') };
  };

  const collections = ['a', 'b', 'c', 'd', 'e'];
  const operations = {
    async subscribe() {
      const free = collections.filter((c) => !active.has(c));
      if (free.length === 0) return operations.unsubscribe();
      const collection = free[Math.floor(next() * free.length)];
      active.add(collection);
      await page.evaluate(async (collection) => {
        window.subscriptions.set(collection, await window.realtime.subscribe(window.channelOf(collection), window.listenTo(collection)));
      }, collection);
      return `subscribe ${collection}`;
    },
    async unsubscribe() {
      if (active.size <= 1) return operations.subscribe();
      const collection = [...active][Math.floor(next() * active.size)];
      active.delete(collection);
      await page.evaluate(async (collection) => {
        await window.subscriptions.get(collection).unsubscribe();
        window.subscriptions.delete(collection);
      }, collection);
      return `unsubscribe ${collection}`;
    },
    async update() {
      const free = collections.filter((c) => !active.has(c));
      if (free.length === 0 || active.size === 0) return operations.subscribe();
      const from = [...active][Math.floor(next() * active.size)];
      const to = free[Math.floor(next() * free.length)];
      active.delete(from);
      active.add(to);
      // The callback keeps recording under the old name; events are told apart by sequence.
      await page.evaluate(async ({ from, to }) => {
        const subscription = window.subscriptions.get(from);
        window.subscriptions.delete(from);
        window.subscriptions.set(to, subscription);
        await subscription.update({ channels: [window.channelOf(to)] });
      }, { from, to });
      return `update ${from} -> ${to}`;
    },
    async signIn() {
      const account = await signUp();
      user = account.id;
      await page.evaluate((token) => { window.client.setSession(token); }, account.token);
      return 'setSession';
    },
  };
  const faults = {
    drop: async () => proxy.dropAll(),
    delay: async () => {
      let release;
      proxy.held = new Promise((resolve) => { release = resolve; });
      await pause(300);
      proxy.held = null;
      release();
    },
    // The SDK must notice on its own (pong deadline) and open a new socket; the stale one is
    // then cut, as a NAT that timed it out would.
    'half-open': async () => {
      const stale = [...proxy.pairs];
      const before = proxy.connections;
      for (const pair of stale) pair.silent = true;
      await until('the SDK to replace the silent socket', () => proxy.connections > before);
      for (const { client, upstream } of stale) { client.destroy(); upstream.destroy(); }
    },
    slow: async () => { proxy.mode = 'slow'; },
    split: async () => { proxy.mode = 'split'; },
    refuse: async () => { proxy.refusing = true; proxy.dropAll(); await pause(600); proxy.refusing = false; },
  };

  const report = { faults: {}, operations: [], recoveryMs: [], stableEvents: 0, chaosEvents: 0, retries: 0 };
  await operations.subscribe();
  await until('the first convergence', serverConverged);
  // Measured once warm (every fault and operation has run) and again at two equal intervals.
  const memory = [];

  for (let round = 0; round < ROUNDS; round += 1) {
    if (round === ROUNDS / 3 || round === (2 * ROUNDS) / 3) memory.push(await page.evaluate(() => window.memory()));
    const operation = ['subscribe', 'update', 'unsubscribe', 'signIn'][Math.floor(next() * 4)];
    report.operations.push(await operations[operation === 'signIn' && user ? 'update' : operation]());
    const fault = Object.keys(faults)[Math.floor(next() * Object.keys(faults).length)];
    report.faults[fault] = (report.faults[fault] ?? 0) + 1;
    const faultDone = faults[fault]();
    // Events while the fault is on: they may be lost (no replay), never doubled or reordered.
    for (const collection of active) {
      await publish(collection);
      report.chaosEvents += 1;
    }
    await faultDone;
    const recoveryStarted = Date.now();
    await until(`convergence after ${fault} (round ${round})`, serverConverged);
    report.recoveryMs.push(Date.now() - recoveryStarted);
    // Connected and converged: every event published now must arrive, exactly once, unless the
    // socket is lost before it does (a slow link can outlast the pong deadline): then the round
    // converges again and publishes anew, and the lost ones count as published during a fault.
    for (let attempt = 0; ; attempt += 1) {
      assert.ok(attempt < 5, `round ${round} never stayed connected long enough to deliver`);
      if (attempt > 0) await until(`convergence again in round ${round}`, serverConverged);
      const opens = await page.evaluate(() => window.chaos.opens);
      const sent = [];
      for (const collection of active) sent.push([collection, await publish(collection)]);
      const outcome = await until(`the events of round ${round} (${report.operations.at(-1)}, ${fault})`, () =>
        page.evaluate(({ seqs, opens }) => {
          const all = Object.values(window.chaos.received).flat();
          if (seqs.every((seq) => all.includes(seq))) return 'arrived';
          return window.chaos.opens !== opens || !window.chaos.connected ? 'reconnected' : false;
        }, { seqs: sent.map(([, seq]) => seq), opens }));
      if (outcome === 'arrived') {
        for (const [collection, seq] of sent) (stable[collection] ??= []).push(seq);
        report.stableEvents += sent.length;
        break;
      }
      report.chaosEvents += sent.length;
      report.retries += 1;
    }
    proxy.mode = 'pass';
  }

  const { received, chaos, memoryAtEnd } = await page.evaluate(() => ({
    received: window.chaos.received, chaos: window.chaos, memoryAtEnd: window.memory(),
  }));
  memory.push(memoryAtEnd);
  const [memoryAtStart] = memory;
  const all = Object.values(received).flat();
  assert.equal(new Set(all).size, all.length, 'no event arrived twice');
  for (const [collection, seqs] of Object.entries(received)) {
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `events of ${collection}'s callback arrived in order`);
  }
  const publishedAll = new Set(Object.values(published).flat());
  assert.ok(all.every((seq) => publishedAll.has(seq)), 'only published events arrived');
  for (const seq of Object.values(stable).flat()) {
    assert.ok(all.includes(seq), `stable event ${seq} arrived`);
  }
  assert.deepEqual(chaos.unhandled, [], 'no unhandled rejection');
  assert.deepEqual(problems, [], 'nothing reached the console');
  assert.ok(memoryAtEnd.wasm <= memoryAtStart.wasm + 65_536, `wasm memory grew from ${memoryAtStart.wasm} to ${memoryAtEnd.wasm}`);
  // What the page keeps on purpose (every received sequence number) grows by a few bytes an event.
  // A leak grows the heap in both intervals; V8's own one-off allocations (tiering, bytecode
  // flushing) move single figures by some 60 KB, which one interval alone would take for a leak.
  if (memoryAtStart.heap !== null) {
    const heaps = memory.map(({ heap }) => heap);
    const growth = Math.min(heaps[1] - heaps[0], heaps[2] - heaps[1]);
    assert.ok(growth <= heaps[0] * 0.05, `JS heap grew in both intervals: ${heaps.join(' -> ')} B`);
  } else {
    console.log(`chaos: ${browserName} lets no page measure its JS heap; only wasm memory was checked`);
  }

  const faultsInjected = Object.values(report.faults).reduce((a, b) => a + b, 0);
  console.log(`chaos (seed ${SEED}): ${faultsInjected} faults ${JSON.stringify(report.faults)}; ` +
    `${sequence} events published (${report.stableEvents} while converged, all delivered; ${report.chaosEvents} during faults, ` +
    `${all.length - report.stableEvents} of those delivered); ${proxy.connections} sockets, ${chaos.opens} opens, ${chaos.resyncs} resyncs, ` +
    `${proxy.refused} refused; ${report.retries} stable phases retried after a loss of connection; worst recovery ${Math.max(...report.recoveryMs)} ms; errors reported ${JSON.stringify(chaos.errors)}; ` +
    `heap ${memory.map(({ heap }) => heap).join(' -> ')} B and wasm ${memoryAtStart.wasm} -> ${memoryAtEnd.wasm} B from round ${ROUNDS / 3} to the end`);
  await page.close();
});

/** POST to the emulator's control surface. */
async function control(path, body = {}) {
  const response = await fetch(`${emulator.url}/_emulator/${path}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.ok(response.ok, `${path}: ${response.status}`);
  return response.json();
}

/**
 * A page with one subscription on `realtimeEndpoint`: `window.drops` records when each
 * `onResync` came (the server acknowledged every restored subscription: live again), the
 * `retryIn` of every `reconnecting` state, and the sequence numbers of the events received.
 */
async function subscribedPage(realtimeEndpoint, options) {
  const page = await browser.newPage();
  await page.goto(`${emulator.url}/e2e/conformance/blank.html`);
  await page.evaluate(async ({ endpoint, realtimeEndpoint, options }) => {
    const sdk = await import('/pkg/index.js');
    const client = new sdk.Client().setEndpoint(endpoint).setEndpointRealtime(realtimeEndpoint).setProject('demo');
    window.realtime = new sdk.Realtime(client, options);
    const drops = { resyncs: [], retries: [], events: [] };
    window.drops = drops;
    window.realtime.onResync(() => drops.resyncs.push(Date.now()));
    window.realtime.onStateChange((state) => {
      if (state.status === 'reconnecting' && state.retryIn !== null) drops.retries.push(state.retryIn);
    });
    await window.realtime.subscribe('databases.chaos.collections.drops.documents', (event) => drops.events.push(event.payload.seq));
  }, { endpoint: `${emulator.url}/v1`, realtimeEndpoint, options });
  return page;
}

test(`drops every 3 to 5 s for ${DROPS_FOR_MS / 1000} s: from each drop the subscription is live again within 1 s on average`,
  { timeout: DROPS_FOR_MS + 60_000 }, async () => {
    const next = random(SEED + 1);
    const page = await subscribedPage(emulator.url.replace('http://', 'ws://') + '/v1'); // default backoff
    const drops = []; // when each drop that hit a socket was asked for
    let sequence = 0;
    let delivered = 0;
    const started = Date.now();
    let dropAt = started + 3_000 + next() * 2_000;
    const isLive = () => page.evaluate((count) => window.drops.resyncs.length >= count, drops.length);
    while (dropAt < started + DROPS_FOR_MS) {
      // Live again since the last drop: an event published now must arrive.
      await until('live', isLive, Math.max(0, dropAt - Date.now() - 300)).catch(() => {});
      if (await isLive()) {
        sequence += 1;
        await control('publish', {
          project: 'demo', events: ['databases.chaos.collections.drops.documents.x.create'],
          channels: ['databases.chaos.collections.drops.documents'], roles: ['any'], payload: { seq: sequence },
        });
        await until(`event ${sequence}`, () => page.evaluate((seq) => window.drops.events.includes(seq), sequence), 2_000);
        delivered += 1;
      }
      await pause(Math.max(0, dropAt - Date.now()));
      const at = Date.now();
      const { affected } = await control('drop');
      if (affected > 0) drops.push(at);
      dropAt = at + 3_000 + next() * 2_000;
    }
    await until('the last recovery', () => page.evaluate((count) => window.drops.resyncs.length >= count, drops.length));
    const resyncs = await page.evaluate(() => window.drops.resyncs);
    // From each drop to the first resync after it.
    const recoveries = drops.map((at) => resyncs.find((time) => time >= at) - at);
    const mean = recoveries.reduce((a, b) => a + b, 0) / recoveries.length;
    const worst = Math.max(...recoveries);
    console.log(`chaos drops (seed ${SEED}): drops every 3 to 5 s for ${DROPS_FOR_MS / 1000} s ` +
      `(CHAOS_DROPS_MS=120000 for 2 minutes): ${drops.length} drops, ` +
      `drop to live subscription: mean ${Math.round(mean)} ms, worst ${worst} ms; ` +
      `${delivered} events published while live, all delivered`);
    assert.ok(mean <= 1_000, `mean ${Math.round(mean)} ms from drop to live subscription: ${recoveries.join(', ')}`);
    assert.ok(drops.length >= DROPS_FOR_MS / 5_000 - 1, `only ${drops.length} drops hit a socket`);
    await page.evaluate(() => window.realtime.disconnect());
    await page.close();
  });

test('a server that refuses the handshake, or accepts and closes at once, sees growing, jittered reconnect delays', { timeout: 90_000 }, async () => {
  const initial = 50;
  const page = await subscribedPage(`ws://127.0.0.1:${proxyPort}/v1`, { reconnectDelay: initial, maxReconnectDelay: 3_200 });
  const retriesNow = () => page.evaluate(() => window.drops.retries.length);
  const report = [];
  const phases = {
    // The emulator's control: every upgrade request is answered 503.
    'refused handshake': { start: () => control('refuse', { ms: 600_000 }), stop: () => control('refuse', { ms: 0 }) },
    // The proxy lets the handshake through, then closes the socket.
    'accepted then closed': { start: () => { proxy.acceptThenClose = true; }, stop: () => { proxy.acceptThenClose = false; } },
  };
  for (const [name, phase] of Object.entries(phases)) {
    const before = await retriesNow();
    const resyncs = await page.evaluate(() => window.drops.resyncs.length);
    const accepted = proxy.acceptedThenClosed;
    await phase.start();
    try {
      proxy.dropAll();
      await until(`7 reconnect attempts (${name})`, async () => (await retriesNow()) >= before + 7, 30_000);
    } finally {
      await phase.stop();
    }
    if (name === 'accepted then closed') assert.ok(proxy.acceptedThenClosed - accepted >= 6, 'the handshakes were answered');
    const retries = (await page.evaluate(() => window.drops.retries)).slice(before, before + 7).map(Math.round);
    report.push(`${name}: ${retries.join(', ')} ms`);
    // Attempt n waits a random time below initial · 2^(n−1): the first is a first retry (the
    // socket before was healthy), then the bound doubles with every socket that failed.
    retries.forEach((delay, n) => assert.ok(delay <= initial * 2 ** n, `${name}: attempt ${n + 1} waited ${delay} ms: ${retries}`));
    assert.ok(Math.max(...retries.slice(3)) > 2 * initial, `${name}: the delays did not grow: ${retries}`);
    assert.ok(retries.some((delay, n) => delay < 0.9 * initial * 2 ** n), `${name}: no jitter: ${retries}`);
    assert.ok(new Set(retries).size > 3, `${name}: no jitter: ${retries}`);
    // A healthy socket again: live, and the next drop is a first retry.
    await until(`recovery after ${name}`, async () => (await page.evaluate(() => window.drops.resyncs.length)) > resyncs, 15_000);
  }
  console.log(`chaos refusals: reconnect delays (bound ${initial} ms doubling): ${report.join('; ')}`);
  await page.evaluate(() => window.realtime.disconnect());
  await page.close();
});
