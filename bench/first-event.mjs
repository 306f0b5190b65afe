// Time to first event, both SDKs as an app ships them: a page whose one module imports
// `{ Client, Realtime }` and subscribes on load; each SDK bundled and minified by esbuild (format
// esm; ours with its .wasm beside the bundle, and its embedded-wasm fallback module left out as
// bench/size.mjs does: it is imported only if the .wasm fails, so it is never fetched here);
// everything served gzip-encoded by
// bench/first-event-server.mjs, which publishes an event the moment the SDK's `subscribe` frame
// reaches it. Timed in the page from navigation start (performance.timeOrigin) to the event
// callback, in a fresh browser context per run (empty cache), SDKs alternating run by run, on
// three profiles: unthrottled; "Slow 4G" (CDP: 150 ms round trip, 1.6 Mbps down, 750 kbps up,
// CPU slowed 4x; the relay adds the round trip to WebSocket frames, which CDP leaves alone);
// and the same with CDP's throttling only, as the figures before the relay's delay were taken.
// A third variant, ours with `<link rel="preload" as="fetch">` for the .wasm in the HTML, shows
// what that hint buys with no SDK change.
//
// `node bench/first-event.mjs` runs it alone (FIRST_EVENT_RUNS=n runs per profile, three times
// that unthrottled; FIRST_EVENT_PROFILES=a,b only those profiles); bench/run.mjs calls
// `measureFirstEvent` and `printFirstEvent`.
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { startEmulator } from '../e2e/harness.mjs';
import { startFirstEventServer } from './first-event-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..');

export const firstEventRuns = Number(process.env.FIRST_EVENT_RUNS ?? 11);
/** Only the profiles named here, comma-separated (FIRST_EVENT_PROFILES), when set. */
const profileFilter = process.env.FIRST_EVENT_PROFILES?.split(',').map((name) => name.trim());

export const CHANNEL = 'databases.bench.collections.items.documents';
export const publication = {
  project: 'demo',
  events: [`${CHANNEL}.first.create`],
  channels: [CHANNEL],
  roles: ['any'],
  payload: { $id: 'first', title: 'hello' },
};

export const slow4g = { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8 };

/**
 * `frameDelay`: ms the relay holds each WebSocket frame, each way. `runsFactor`: unthrottled runs
 * spread the most (the page, the browser, the relay and the emulator share this machine's cores)
 * and cost the least, so that profile takes three times the runs.
 */
export const profiles = [
  { name: 'unthrottled', runsFactor: 3 },
  {
    name: 'Slow 4G',
    description: '150 ms RTT for requests and WebSocket frames alike, 1.6 Mbps down, 750 kbps up, CPU 4x',
    network: slow4g, cpuRate: 4, frameDelay: slow4g.latency / 2,
  },
  {
    name: 'Slow 4G, DevTools only',
    description: 'the same, WebSocket frames not delayed (Chromium\'s emulation leaves them alone)',
    network: slow4g, cpuRate: 4,
  },
];

/** The variants, in the order of the first run; later runs rotate it. */
export const variants = [
  { name: 'ours', sdk: 'ours', preload: false },
  { name: 'official', sdk: 'official', preload: false },
  { name: 'ours+preload', sdk: 'ours', preload: true },
];

/** The same app for both SDKs; `__bench` is set up by the inline script of the page. */
export const appSource = (from) => `import { Client, Realtime } from ${JSON.stringify(from)};
performance.mark('app');
const client = new Client().setEndpoint(location.origin + '/v1').setProject('demo');
const realtime = new Realtime(client);
window.__bench.realtime = realtime;
realtime.subscribe(${JSON.stringify(CHANNEL)}, (event) => window.__bench.event(event)).then(window.__bench.subscribed, window.__bench.fail);
`;

/**
 * Runs before the app, the same for both SDKs: a `WebSocket` subclass that only notes when each
 * socket was created, opened, sent and received (before the SDK's own listeners run), and the
 * promise the driver awaits.
 */
export const instrumentSource = `(() => {
  const bench = window.__bench = { ws: [] };
  const Native = window.WebSocket;
  window.WebSocket = class WebSocket extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      const record = { created: performance.now(), messages: [], sends: [] };
      bench.ws.push(record);
      this.__record = record;
      this.addEventListener('open', () => { record.open = performance.now(); });
      this.addEventListener('message', () => { record.messages.push(performance.now()); });
    }
    send(data) { this.__record.sends.push(performance.now()); return super.send(data); }
  };
  bench.done = new Promise((resolve) => {
    bench.event = (event) => {
      if (bench.firstEvent !== undefined) return;
      bench.firstEvent = performance.now();
      bench.payloadId = event && event.payload ? event.payload.$id : null;
      resolve();
    };
    bench.fail = (error) => { bench.failed = String(error); resolve(); };
  });
  // When the promise of subscribe() resolved: the official SDK resolves it at the socket's open.
  bench.settled = new Promise((resolve) => {
    bench.subscribed = () => { bench.subscribedAt = performance.now(); resolve(); };
    bench.done.then(() => bench.failed && resolve());
  });
})();`;

const wasmName = 'appwrite_realtime_wasm_bg.wasm';

const pageHtml = (bundle, preloadHref) => `<!doctype html>
<html><head><meta charset="utf-8"><title>first event</title><link rel="icon" href="data:,">
${preloadHref ? `<link rel="preload" href="${preloadHref}" as="fetch" type="application/wasm" crossorigin>\n` : ''}<script>${instrumentSource}</script>
<script type="module" src="${bundle}"></script>
</head><body></body></html>
`;

const contentTypes = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm' };
const typeOf = (path) => contentTypes[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream';

/**
 * Bundles both apps under target/bench-first-event/ and returns the files to serve. pkg/ is
 * copied under the build lock first, so a concurrent `scripts/build` cannot hand us half a package.
 */
async function buildApps(root) {
  const folder = join(root, 'target/bench-first-event');
  await rm(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  execFileSync('flock', ['/tmp/pkg-build.lock', 'cp', '-r', join(root, 'pkg'), join(folder, 'pkg')]);
  await writeFile(join(folder, 'ours-entry.js'), appSource('./pkg/index.js'));
  await writeFile(join(folder, 'official-entry.js'), appSource('appwrite'));
  const common = {
    bundle: true, minify: true, format: 'esm', logLevel: 'silent',
    entryNames: '[name]', banner: { js: "performance.mark('bundle');" },
  };
  // Not `splitting: true`: esbuild then moves its `__export` helper into a 134-byte chunk that
  // app.js imports statically, one more request in series that a Rollup/Vite build does not have.
  await build({ ...common, entryPoints: { app: join(folder, 'ours-entry.js') }, outdir: join(folder, 'ours'), external: ['./appwrite_realtime_wasm_bg.wasm.js'] });
  await build({ ...common, entryPoints: { app: join(folder, 'official-entry.js') }, outdir: join(folder, 'official'), nodePaths: [join(root, 'node_modules')] });
  await copyFile(join(folder, 'pkg', wasmName), join(folder, 'ours', wasmName));

  const files = new Map();
  for (const sdk of ['ours', 'official']) {
    for (const name of await readdir(join(folder, sdk))) {
      const body = await readFile(join(folder, sdk, name));
      files.set(`/${sdk}/${name}`, { type: typeOf(name), body });
    }
  }
  files.set('/ours.html', { type: typeOf('.html'), body: Buffer.from(pageHtml('/ours/app.js')) });
  files.set('/ours+preload.html', { type: typeOf('.html'), body: Buffer.from(pageHtml('/ours/app.js', `/ours/${wasmName}`)) });
  files.set('/official.html', { type: typeOf('.html'), body: Buffer.from(pageHtml('/official/app.js')) });
  return { files };
}

/** What the page reports once the first event arrived (or the subscription failed). */
function collectInPage() {
  const bench = window.__bench;
  const path = (url) => new URL(url).pathname;
  const navigation = performance.getEntriesByType('navigation')[0];
  const mark = (name) => performance.getEntriesByName(name, 'mark')[0]?.startTime ?? null;
  return {
    timeOrigin: performance.timeOrigin,
    firstEvent: bench.firstEvent ?? null,
    subscribedAt: bench.subscribedAt ?? null,
    payloadId: bench.payloadId ?? null,
    failed: bench.failed ?? null,
    html: { requestStart: navigation.requestStart, responseStart: navigation.responseStart, responseEnd: navigation.responseEnd },
    resources: performance.getEntriesByType('resource').map((entry) => ({
      path: path(entry.name), startTime: entry.startTime, requestStart: entry.requestStart,
      responseStart: entry.responseStart, responseEnd: entry.responseEnd,
      transferSize: entry.transferSize, encodedBodySize: entry.encodedBodySize, decodedBodySize: entry.decodedBodySize,
    })),
    bundleStart: mark('bundle'),
    appStart: mark('app'),
    ws: bench.ws.map(({ created, open, messages, sends }) => ({ created, open: open ?? null, messages, sends })),
    userAgent: navigator.userAgent,
  };
}

export const round = (value) => (value === null || value === undefined || Number.isNaN(value) ? null : Math.round(value * 10) / 10);

/**
 * Records, over CDP, the bytes each response brought and when (Network.dataReceived, body bytes
 * as they came over the wire, gzip-encoded here) and the document's timing, to line CDP's clock up
 * with the page's.
 */
function recordNetwork(cdp) {
  const network = { requests: new Map(), chunks: [], document: null };
  cdp.on('Network.requestWillBeSent', ({ requestId, request, type }) => {
    network.requests.set(requestId, { url: request.url, type });
  });
  cdp.on('Network.responseReceived', ({ requestId, type, response }) => {
    const entry = network.requests.get(requestId);
    if (entry) entry.mimeType = response.mimeType;
    if (type === 'Document' && !network.document) network.document = response.timing;
  });
  const received = new Map();
  cdp.on('Network.dataReceived', ({ requestId, timestamp, encodedDataLength }) => {
    network.chunks.push({ requestId, at: timestamp * 1000, bytes: encodedDataLength });
    received.set(requestId, (received.get(requestId) ?? 0) + encodedDataLength);
  });
  // The document's body comes with no dataReceived: counted whole (headers too) when it finished.
  cdp.on('Network.loadingFinished', ({ requestId, timestamp, encodedDataLength }) => {
    if (!received.get(requestId)) network.chunks.push({ requestId, at: timestamp * 1000, bytes: encodedDataLength });
  });
  return network;
}

const kindOf = (url, mimeType = '') => {
  const path = new URL(url).pathname;
  if (path.endsWith('.wasm') || mimeType === 'application/wasm') return 'wasm';
  if (/\.m?js$/.test(path) || /javascript/.test(mimeType)) return 'js';
  if (mimeType === 'text/html' || path.endsWith('/') || path.endsWith('.html')) return 'html';
  return 'other';
};

/**
 * Body bytes received (encoded, as on the wire) before the event callback ran, per kind, and the
 * same for the whole run. CDP's timestamps and the page's share Chromium's monotonic clock but not
 * their origin: the document's request start, known to both, lines them up.
 */
function bytesBeforeEvent(network, page) {
  const timing = network.document;
  if (!timing || page.firstEvent === null) return null;
  const offset = timing.requestTime * 1000 + timing.sendStart - page.html.requestStart;
  const eventAt = page.firstEvent + offset;
  const before = { html: 0, js: 0, wasm: 0, other: 0, total: 0 };
  const all = { html: 0, js: 0, wasm: 0, other: 0, total: 0 };
  for (const { requestId, at, bytes } of network.chunks) {
    const request = network.requests.get(requestId);
    if (!request) continue;
    const kind = kindOf(request.url, request.mimeType);
    all[kind] += bytes;
    all.total += bytes;
    if (at <= eventAt) {
      before[kind] += bytes;
      before.total += bytes;
    }
  }
  return { before, all };
}

/**
 * One run in a fresh context: ms from navigation start to the event callback, and the details.
 * `variant.page`: the path to open (default `/<variant.name>.html`); `variant.bundle`: which
 * resource is the app's bundle (a predicate on its path; default `/<variant.sdk>/app.js`).
 * `countBytes`: also the bytes received before the event (bytesBeforeEvent).
 */
export async function runOnce(browser, server, profile, variant, { countBytes = false } = {}) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => { if (['error', 'warning'].includes(message.type())) errors.push(`${message.type()}: ${message.text()}`); });
    let network = null;
    if (profile.network || profile.cpuRate || countBytes) {
      const cdp = await page.context().newCDPSession(page);
      if (countBytes) network = recordNetwork(cdp);
      await cdp.send('Network.enable');
      if (profile.network) await cdp.send('Network.emulateNetworkConditions', profile.network);
      if (profile.cpuRate) await cdp.send('Emulation.setCPUThrottlingRate', { rate: profile.cpuRate });
    }
    server.reset();
    server.setFrameDelay(profile.frameDelay ?? 0);
    await page.goto(`${server.url}${variant.page ?? `/${variant.name}.html`}`, { waitUntil: 'commit' });
    const page_ = await Promise.race([
      page.evaluate(async (collect) => {
        while (!window.__bench) await new Promise((resolve) => setTimeout(resolve, 5));
        await window.__bench.done;
        await window.__bench.settled;
        // eslint-disable-next-line no-new-func
        return new Function(`return (${collect})()`)();
      }, collectInPage.toString()),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no event within 30 s')), 30_000)),
    ]);
    if (page_.failed) throw new Error(`subscribe failed: ${page_.failed}`);
    if (page_.payloadId !== publication.payload.$id) throw new Error(`wrong payload: ${page_.payloadId}`);
    return {
      ms: page_.firstEvent, detail: breakdown(page_, server, variant), errors, userAgent: page_.userAgent,
      ...(network ? { bytes: bytesBeforeEvent(network, page_) } : {}),
    };
  } finally {
    await context.close();
  }
}

/** Milestones in ms from navigation start; server-side ones converted from the wall clock. */
function breakdown(page, server, variant) {
  const serverTime = (at) => (at === undefined ? null : at - page.timeOrigin);
  const resource = (suffix) => page.resources.find((entry) => entry.path.endsWith(suffix));
  const bundle = variant.bundle ? page.resources.find(({ path }) => variant.bundle(path)) : resource(`/${variant.sdk}/app.js`);
  const wasm = resource('.wasm');
  const ws = page.ws[0];
  const connection = server.connections[0];
  const subscribeIndex = connection?.fromClient.findIndex(({ type }) => type === 'subscribe') ?? -1;
  const eventIndex = connection?.fromServer.findIndex(({ type }) => type === 'event') ?? -1;
  const wasmRequests = server.requests.filter(({ path }) => path.endsWith('.wasm')).length;
  return {
    htmlResponseEnd: round(page.html.responseEnd),
    bundleRequestStart: round(bundle?.requestStart), bundleResponseEnd: round(bundle?.responseEnd),
    bundleTransfer: bundle?.transferSize ?? null,
    bundleStart: round(page.bundleStart),
    wasmStart: round(wasm?.startTime), wasmRequestStart: round(wasm?.requestStart),
    wasmResponseStart: round(wasm?.responseStart), wasmResponseEnd: round(wasm?.responseEnd),
    wasmTransfer: wasm?.transferSize ?? null, wasmRequests: variant.sdk === 'ours' ? wasmRequests : null,
    appStart: round(page.appStart),
    wsCreated: round(ws?.created),
    upgradeAtServer: round(serverTime(connection?.upgradeAt)),
    handshakeResponseAtServer: round(serverTime(connection?.handshakeResponseAt)),
    wsOpen: round(ws?.open),
    firstMessage: round(ws?.messages[0]),
    subscribeSent: round(subscribeIndex >= 0 ? ws?.sends[subscribeIndex] : null),
    subscribeAtServer: round(serverTime(connection?.fromClient[subscribeIndex]?.at)),
    publishStartedAtServer: round(serverTime(connection?.publishStartedAt)),
    publishedAtServer: round(serverTime(connection?.publishedAt)),
    publishAttempts: connection?.publishAttempts ?? null,
    eventAtServer: round(serverTime(connection?.fromServer[eventIndex]?.at)),
    eventMessage: round(eventIndex >= 0 ? ws?.messages[eventIndex] : null),
    firstEvent: round(page.firstEvent),
    subscribeResolved: round(page.subscribedAt),
    sockets: page.ws.length,
  };
}

export function median(values) {
  const sorted = values.filter((value) => typeof value === 'number').sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The median of each breakdown field over runs. */
export function medianBreakdown(details) {
  const keys = Object.keys(details[0] ?? {});
  return Object.fromEntries(keys.map((key) => [key, round(median(details.map((detail) => detail[key])))]));
}

/**
 * Whether CDP's latency applied to the WebSocket: handshake and frame transit times per run
 * (page ↔ relay, across the two clocks, so ± a few ms).
 */
function webSocketTransit(details) {
  const pick = (f) => round(median(details.map(f).filter((value) => Number.isFinite(value))));
  return {
    handshakeMs: pick((d) => d.wsOpen - d.wsCreated),
    createToServerMs: pick((d) => d.upgradeAtServer - d.wsCreated),
    serverResponseToOpenMs: pick((d) => d.wsOpen - d.handshakeResponseAtServer),
    subscribeUpMs: pick((d) => d.subscribeAtServer - d.subscribeSent),
    eventDownMs: pick((d) => d.eventMessage - d.eventAtServer),
  };
}

/**
 * Starts the emulator, the server and Chromium, runs every variant `runs` times per profile
 * (order rotating run by run) and returns the figures.
 */
/** The headless Chromium every first-event run uses. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
    ],
  });
}

export async function measureFirstEvent(root = repoRoot, { runs = firstEventRuns, log = () => {} } = {}) {
  const { files } = await buildApps(root);
  const transfer = (path) => files.get(path)?.body.length;
  const emulator = await startEmulator();
  const server = await startFirstEventServer({ files, emulatorUrl: emulator.url, publication });
  const browser = await launchBrowser();
  const result = { runs, channel: CHANNEL, bundleBytes: { ours: transfer('/ours/app.js'), wasm: transfer(`/ours/${wasmName}`), official: transfer('/official/app.js') }, profiles: [] };
  try {
    for (const profile of profiles.filter(({ name }) => !profileFilter || profileFilter.includes(name))) {
      const perVariant = Object.fromEntries(variants.map(({ name }) => [name, { runsMs: [], details: [], errors: [] }]));
      const profileRuns = runs * (profile.runsFactor ?? 1);
      for (let run = 0; run < profileRuns; run += 1) {
        const order = variants.map((_, i) => variants[(i + run) % variants.length]);
        for (const variant of order) {
          const slot = perVariant[variant.name];
          try {
            const { ms, detail, errors, userAgent } = await runOnce(browser, server, profile, variant);
            result.userAgent = userAgent;
            slot.runsMs.push(round(ms));
            slot.details.push(detail);
            slot.errors.push(...errors);
          } catch (error) {
            slot.errors.push(error.message.split('\n')[0]);
          }
        }
        log(`  ${profile.name} run ${run + 1}/${profileRuns}: ${variants.map(({ name }) => `${name} ${perVariant[name].runsMs.at(-1)}`).join(', ')}`);
      }
      const figures = Object.fromEntries(Object.entries(perVariant).map(([name, slot]) => [name, {
        msMedian: round(median(slot.runsMs)), runsMs: slot.runsMs,
        breakdown: medianBreakdown(slot.details), webSocket: webSocketTransit(slot.details),
        ...(slot.errors.length ? { errors: [...new Set(slot.errors)] } : {}),
      }]));
      result.profiles.push({
        profile: profile.name, description: profile.description ?? 'no throttling', runs: profileRuns,
        ...figures,
        ratio: figures.ours.msMedian && figures.official.msMedian ? figures.ours.msMedian / figures.official.msMedian : null,
        preloadRatio: figures['ours+preload'].msMedian && figures.official.msMedian ? figures['ours+preload'].msMedian / figures.official.msMedian : null,
      });
    }
  } finally {
    await browser.close();
    await server.close();
    await emulator.stop();
  }
  result.webSocketThrottled = judgeWebSocketThrottling(result.profiles);
  return result;
}

/** Compares WebSocket transit times of CDP's throttling alone with the unthrottled profile. */
function judgeWebSocketThrottling(results) {
  const fast = results.find((entry) => entry.profile === 'unthrottled');
  const slow = results.find((entry) => entry.profile === 'Slow 4G, DevTools only');
  if (!fast || !slow) return null;
  const transit = (entry) => entry.official.webSocket;
  const latency = slow4g.latency;
  const extra = (key) => round(transit(slow)[key] - transit(fast)[key]);
  const handshakeExtra = extra('handshakeMs');
  const upExtra = extra('subscribeUpMs');
  const downExtra = extra('eventDownMs');
  const delayed = (ms) => ms !== null && ms >= latency / 4;
  return {
    handshakeExtraMs: handshakeExtra, frameUpExtraMs: upExtra, frameDownExtraMs: downExtra,
    handshakeDelayed: delayed(handshakeExtra), framesDelayed: delayed(upExtra) || delayed(downExtra),
  };
}

const fmt = (ms) => (ms === null || ms === undefined ? '–' : `${Math.round(ms)}`);

export function printFirstEvent(result) {
  const { bundleBytes } = result;
  console.log(`\nTime to first event (navigation start → event callback; esbuild --minify bundles served gzip; ` +
    'fresh context per run; SDKs alternating)');
  console.log(`  raw bytes: ours app.js ${bundleBytes.ours} + .wasm ${bundleBytes.wasm}; official app.js ${bundleBytes.official}`);
  for (const entry of result.profiles) {
    const { ours, official } = entry;
    const preload = entry['ours+preload'];
    console.log(`${entry.profile} (${entry.description}; median of ${entry.runs} runs):`);
    console.log(`  time to first event ${entry.profile}: ours ${fmt(ours.msMedian)} ms vs official ${fmt(official.msMedian)} ms ` +
      `(${entry.ratio ? entry.ratio.toFixed(2) : '–'}x); ours + wasm preload ${fmt(preload.msMedian)} ms ` +
      `(${entry.preloadRatio ? entry.preloadRatio.toFixed(2) : '–'}x)`);
    for (const [name, figures] of [['ours', ours], ['official', official], ['ours+preload', preload]]) {
      console.log(`    ${name.padEnd(13)} runs ms: ${figures.runsMs.map(fmt).join(' ')}`);
      if (figures.errors) console.log(`    ${name.padEnd(13)} errors: ${figures.errors.slice(0, 3).join(' | ')}`);
    }
    console.log('    medians, ms from navigation start     ours  +preload  official');
    const rows = [
      ['HTML response end', 'htmlResponseEnd'],
      ['bundle request start', 'bundleRequestStart'],
      ['bundle response end', 'bundleResponseEnd'],
      ['bundle starts running', 'bundleStart'],
      ['.wasm request start', 'wasmStart'],
      ['.wasm response end', 'wasmResponseEnd'],
      ['app code runs (imports ready)', 'appStart'],
      ['new WebSocket', 'wsCreated'],
      ['WebSocket open', 'wsOpen'],
      ['first frame (connected)', 'firstMessage'],
      ['subscribe frame sent', 'subscribeSent'],
      ['subscribe seen by server', 'subscribeAtServer'],
      ['event frame leaves server', 'eventAtServer'],
      ['event frame received', 'eventMessage'],
      ['event callback', 'firstEvent'],
      ['subscribe() resolved', 'subscribeResolved'],
    ];
    for (const [label, key] of rows) {
      console.log(`    ${label.padEnd(36)}${fmt(ours.breakdown[key]).padStart(6)}${fmt(preload.breakdown[key]).padStart(10)}${fmt(official.breakdown[key]).padStart(10)}`);
    }
    for (const [name, figures] of [['ours', ours], ['official', official]]) {
      const ws = figures.webSocket;
      console.log(`    WebSocket (${name}): new WebSocket→upgrade at server ${fmt(ws.createToServerMs)} ms, handshake in page ${fmt(ws.handshakeMs)} ms; ` +
        `subscribe frame page→server ${fmt(ws.subscribeUpMs)} ms; event frame server→page ${fmt(ws.eventDownMs)} ms`);
    }
  }
  const judged = result.webSocketThrottled;
  if (judged) {
    const latency = slow4g.latency;
    console.log(`WebSocket under CDP's Slow 4G vs unthrottled: handshake +${fmt(judged.handshakeExtraMs)} ms, ` +
      `frame up +${fmt(judged.frameUpExtraMs)} ms, frame down +${fmt(judged.frameDownExtraMs)} ms`);
    console.log(`  => handshake ${judged.handshakeDelayed ? 'IS' : 'is NOT'} delayed by the emulated latency; ` +
      `frames ${judged.framesDelayed ? 'ARE' : 'are NOT'} delayed` +
      (judged.framesDelayed ? '' : ` (this Chromium applies the ${latency} ms latency to HTTP requests, the upgrade among them, but not to ` +
        `WebSocket frames; the few ms extra come from the 4x CPU. A real link adds a round trip to the frames too: ` +
        `the "Slow 4G" profile has the relay hold each frame ${latency / 2} ms each way)`));
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await measureFirstEvent(repoRoot, { log: (line) => console.log(line) });
  printFirstEvent(result);
  await mkdir(join(repoRoot, 'target'), { recursive: true });
  await writeFile(join(repoRoot, 'target/bench-first-event.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log('\nwritten to target/bench-first-event.json');
}
