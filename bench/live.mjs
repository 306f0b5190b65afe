// Live views (`realtime.live()`) against the emulator, in headless Chromium: what a gap costs in
// REST lists and in time, what an event costs a view against a plain subscription, and how many
// messages an unfiltered subscription receives against a filtered one.
//
// Set-up: one collection of ROWS documents (`n` = 0..ROWS-1, `v` a counter, `status`
// 'published' for 30 % of them, 'draft' otherwise), created over REST. Every view is
// `live(channel, [Query.limit(L)])` with L above ROWS, so it holds all ROWS rows and its window
// is not full (no refill lists); the 3 views of the multi-view run differ only by L (1500,
// 1501, 1502), so each view's REST list has a URL of its own and the lists are counted per view.
// Pages use the SDK's defaults (shared socket: one page, so it owns it) and one page is open at
// a time.
//
// 1. Lists per gap. The page wraps `window.fetch` (every call noted with its URL and times). A
//    writer in Node PATCHes random rows (`v` only, so the rows and their order stay) at
//    WRITE_RATE/s during the whole run; each gap is `POST /_emulator/drop` (every socket cut
//    without a close frame); the lists counted are the fetches of the view's list URL from the
//    drop until that view's status is 'synced' again after the Realtime's `onResync`. Goal: 1 per
//    view. Lists made after 'synced' and before the next gap are counted apart ("late").
// 2. Reconnect to 'synced', poll-free. `view.status` is a plain property the SDK assigns (a
//    status change with no row change calls no onChange), so the page replaces it on the view
//    object with an accessor whose setter notes performance.now() for each new status; the
//    SDK's own assignments go through it. The page's `onResync` listener is registered before the
//    views exist, so it runs first, right before the views' own. Measured: onResync → the
//    setter's 'synced'; beside it, in the same page after each gap (the writer still running),
//    one REST list round trip: fetch of the same URL + response.text(). The stages come from
//    the same marks: onClose, onOpen, onResync, the list's fetch() call, its headers, its body
//    read (the SDK's response.text(), wrapped), and 'synced' (set after the SDK parsed the body,
//    diffed it and called onChange).
// 3. Per-event cost. N updates are published (`/_emulator/publish`, 16 at a time, each a newer
//    version of a row in view, so each is one 'modified' change), and the page's cost is the
//    renderer main thread's CPU time (CDP `Performance.getMetrics` with thread ticks: TaskDuration,
//    everything the thread ran, and its ScriptDuration part) from the first publish to the last
//    callback, ÷ N. Thread CPU time rather than wall time: the other processes of this 2-core
//    machine (the emulator, the writer, other browsers) then count for little, and idle time
//    between frames not at all. (Wall time from the first to the last callback of a burst, the
//    method of bench/tabs.mjs, measured here the emulator's debug build sending the frames: the
//    page was idle between them.) A second figure wraps the socket's `onmessage` handler and
//    sums the wall time spent synchronously in it per frame (the callback and onChange run inside
//    it: checked, and printed as "inside"; the page is cross-origin isolated for 5 µs clock steps).
//    Configurations, each in a fresh page after a warm-up of 100 events, in turn, RUNS each,
//    median: a plain `subscribe(channel, cb)`; a view whose onChange applies the changes to a
//    copy (as e2e/live.test.mjs does); the same view whose onChange also reads `view.rows` (as a
//    UI that renders from it would).
// 4. Messages: one Realtime with an unfiltered subscription and a filtered one
//    (`Query.equal('status', ['published'])`, 30 % of rows) receives the same WRITES PATCHes
//    (each on a random row; FLIP of them set `status`, to 'published' with p 0.3). Each
//    subscription's callbacks are counted: the server sends one message per event and
//    connection, so that is what each would receive alone. The alternative of design §10
//    ("filtered + a per-id subscription on every row in view") receives an event when its row
//    matches after the write (the filtered one) or matched before it (the per-id one): counted
//    in the page from the unfiltered stream and the statuses listed at the start.
//
// `node bench/live.mjs` runs it alone (LIVE_ROWS, LIVE_GAPS, LIVE_GAPS_3, LIVE_EVENTS, LIVE_RUNS,
// LIVE_WRITES, LIVE_WRITE_RATE, LIVE_FLIP override the defaults); bench/run.mjs calls `measureLive` and
// `printLive`.
import { fileURLToPath } from 'node:url';
import { controlCall, generator, launchBrowser, restCall, startEmulator, until } from '../e2e/harness.mjs';

const env = (name, fallback) => Number(process.env[name] ?? fallback);
export const liveSettings = {
  rows: env('LIVE_ROWS', 1000),
  gaps: env('LIVE_GAPS', 7),
  gapsThree: env('LIVE_GAPS_3', 5),
  writeRate: env('LIVE_WRITE_RATE', 50),
  events: env('LIVE_EVENTS', 500),
  runs: env('LIVE_RUNS', 5),
  writes: env('LIVE_WRITES', 500),
  flip: env('LIVE_FLIP', 0.1),
  matching: 0.3,
};

const DATABASE = 'main';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** `promise`, or a rejection naming `what` after `ms`: a page that hangs fails the run instead. */
const within = (promise, ms, what) => Promise.race([
  promise,
  sleep(ms).then(() => { throw new Error(`timed out after ${ms} ms: ${what}`); }),
]);
const median = (values) => {
  const sorted = values.filter((value) => typeof value === 'number' && Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

function restClient(emulatorUrl) {
  return {
    rest: (method, path, body) => restCall(emulatorUrl, method, path, body),
    control: (action, body) => controlCall(emulatorUrl, action, body),
  };
}

/** A collection of `rows` documents r0000…; returns its id. */
async function createCollection({ rest }, id, rows) {
  await rest('POST', `/databases/${DATABASE}/collections`, {
    collectionId: id, name: id, permissions: ['read("any")', 'create("any")', 'update("any")', 'delete("any")'],
  });
  const published = Math.round(rows * liveSettings.matching);
  let next = 0;
  const worker = async () => {
    while (next < rows) {
      const n = next++;
      // 30 % published, spread evenly over n.
      const status = Math.floor((n * published) / rows) !== Math.floor(((n + 1) * published) / rows) ? 'published' : 'draft';
      await rest('POST', `/databases/${DATABASE}/collections/${id}/documents`, {
        documentId: `r${String(n).padStart(4, '0')}`, data: { n, v: 0, status },
        permissions: ['read("any")', 'update("any")', 'delete("any")'],
      });
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

const rowId = (n) => `r${String(n).padStart(4, '0')}`;

/** Before any page script: fetch and the socket's onmessage handler, instrumented. */
function instrument() {
  const live = (window.__live = { fetches: [], handlerMs: 0, frames: 0, inHandler: false });
  const originalFetch = window.fetch;
  live.originalFetch = originalFetch.bind(window);
  window.fetch = function fetch(input, init) {
    const record = { url: String(input instanceof Request ? input.url : input), start: performance.now() };
    live.fetches.push(record);
    const promise = originalFetch.call(window, input, init);
    // Registered before the caller's await, so it runs first and wraps text() in time.
    promise.then((response) => {
      record.headers = performance.now();
      record.status = response.status;
      const text = response.text.bind(response);
      response.text = () => text().then((body) => {
        record.body = performance.now();
        record.bytes = body.length;
        return body;
      });
    }, (error) => { record.error = String(error); });
    return promise;
  };
  const descriptor = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage');
  Object.defineProperty(WebSocket.prototype, 'onmessage', {
    configurable: true,
    enumerable: true,
    get() { return this.__onmessage ?? null; },
    set(handler) {
      this.__onmessage = handler;
      descriptor.set.call(this, typeof handler !== 'function' ? handler : function onmessage(event) {
        const start = performance.now();
        live.inHandler = true;
        try {
          return handler.call(this, event);
        } finally {
          live.inHandler = false;
          live.handlerMs += performance.now() - start;
          live.frames += 1;
        }
      });
    },
  });
}

/** A fresh page on the emulator's origin with the instrumentation and the package loaded. */
async function openPage(browser, emulatorUrl) {
  const page = await browser.newPage();
  page.log = [];
  page.on('console', (message) => { if (['error', 'warning'].includes(message.type())) page.log.push(message.text()); });
  await page.addInitScript(instrument);
  // Cross-origin isolated (COOP + COEP on the page; everything it loads is same-origin), so that
  // performance.now() has 5 µs steps instead of 100 µs: the handler figures sum short intervals.
  await page.route('**/e2e/conformance/blank.html', async (route) => {
    const response = await route.fetch();
    await route.fulfill({
      response,
      headers: { ...response.headers(), 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' },
    });
  });
  await page.goto(`${emulatorUrl}/e2e/conformance/blank.html`);
  if (!(await page.evaluate(() => crossOriginIsolated))) throw new Error('the page is not cross-origin isolated');
  await page.evaluate(async (endpoint) => {
    const { Client, Realtime, Query } = await import('/pkg/index.js');
    const live = window.__live;
    live.Query = Query;
    live.realtime = new Realtime(new Client().setEndpoint(endpoint).setProject('demo'));
    live.errors = [];
    live.realtime.onError((error) => live.errors.push(`${error.kind}: ${error.message}`));
    live.marks = { close: [], open: [], resync: [] };
    // Registered before any view, so each runs before the views' own listeners.
    live.realtime.onClose(() => live.marks.close.push(performance.now()));
    live.realtime.onOpen(() => live.marks.open.push(performance.now()));
    live.realtime.onResync(() => live.marks.resync.push(performance.now()));
  }, `${emulatorUrl}/v1`);
  return page;
}

async function closePage(page, emulatorUrl) {
  await page.close();
  await until('the page\'s socket to close', async () =>
    (await (await fetch(`${emulatorUrl}/_emulator/connections`)).json()).total === 0);
}

/** Opens the views (`limits`, one per view) in the page; each with a status log and a copy kept from its changes. */
function openViews(page, channel, limits, readRows = false) {
  return within(page.evaluate(async ([channel, limits, readRows]) => {
    const live = window.__live;
    live.views = [];
    for (const limit of limits) {
      const entry = { limit, statuses: [], changes: 0, calls: [], callsInside: 0 };
      const view = await live.realtime.live(channel, [live.Query.limit(limit)], (view, changes) => {
        entry.calls.push(performance.now());
        if (live.inHandler) entry.callsInside += 1;
        for (const change of changes) {
          if (change.type !== 'added') entry.copy.splice(change.oldIndex, 1);
          if (change.type !== 'removed') entry.copy.splice(change.newIndex, 0, change.row);
        }
        entry.changes += changes.length;
        if (readRows) entry.seen = view.rows.length;
      });
      entry.view = view;
      entry.copy = [...view.rows];
      // The SDK assigns view.status; an accessor on the view notes each new status as it is set.
      let status = view.status;
      Object.defineProperty(view, 'status', {
        configurable: true,
        enumerable: true,
        get: () => status,
        set(value) {
          if (value !== status) entry.statuses.push([value, performance.now()]);
          status = value;
        },
      });
      entry.url = live.fetches.filter(({ url }) => url.includes(`limit`) && url.includes(`${limit}`)).at(-1)?.url;
      live.views.push(entry);
    }
    return live.views.map(({ view, url }) => ({ rows: view.rows.length, status: view.status, url }));
  }, [channel, limits, readRows]), 30_000, `opening ${limits.length} view(s): ${page.log.join(' | ')}`);
}

/** A writer PATCHing random rows at `rate`/s until stopped; counts its writes. */
function startWriter({ rest }, collection, rows, rate, seed) {
  const { next } = generator(seed);
  const writer = { writes: 0, stopped: false, errors: [] };
  let counter = 0;
  writer.done = (async () => {
    const interval = 1000 / rate;
    let due = performance.now();
    while (!writer.stopped) {
      const id = rowId(Math.floor(next() * rows));
      try {
        await rest('PATCH', `/databases/${DATABASE}/collections/${collection}/documents/${id}`, { data: { v: (counter += 1) } });
        writer.writes += 1;
      } catch (error) {
        writer.errors.push(error.message);
      }
      due += interval;
      await sleep(Math.max(0, due - performance.now()));
    }
  })();
  writer.stop = async () => { writer.stopped = true; await writer.done; };
  return writer;
}

/**
 * `gaps` drops of the page's socket while `writer` writes: per gap, the lists of each view from
 * the drop to its 'synced', the stages' times, and one REST list round trip in the page.
 */
async function measureGaps(page, emulatorUrl, api, writer, gaps) {
  const results = [];
  for (let gap = 0; gap < gaps; gap += 1) {
    await sleep(300); // writes flowing over a healthy socket before the drop
    const drop = await page.evaluate(() => {
      const live = window.__live;
      live.fetches = [];
      for (const entry of live.views) entry.statuses = [];
      live.marks = { close: [], open: [], resync: [] };
      return performance.now();
    });
    const writesBefore = writer.writes;
    await api.control('drop');
    const done = await until('every view synced after the gap', () => page.evaluate(() => {
      const { views, marks } = window.__live;
      const resync = marks.resync[0];
      if (resync === undefined) return false;
      const synced = views.map(({ statuses }) => statuses.find(([status, at]) => status === 'synced' && at >= resync)?.[1]);
      return synced.every((at) => at !== undefined) && synced;
    }), 20_000);
    const writesDuring = writer.writes - writesBefore;
    await sleep(300); // lists a view would make late
    const detail = await page.evaluate(async ([drop, synced]) => {
      const live = window.__live;
      const { marks, fetches } = live;
      const views = live.views.map((entry, index) => {
        const mine = fetches.filter(({ url }) => url === entry.url);
        const counted = mine.filter(({ start }) => start >= drop && start <= synced[index]);
        const list = counted[0];
        return {
          lists: counted.length,
          late: mine.length - counted.length,
          statuses: entry.statuses.map(([status]) => status).join('>'),
          listStart: list?.start, listHeaders: list?.headers, listBody: list?.body, listBytes: list?.bytes,
          synced: synced[index],
        };
      });
      const others = fetches.filter(({ url }) => !live.views.some((entry) => entry.url === url)).length;
      // One REST list of the same URL, as page code would make it, for comparison.
      const url = live.views[0].url;
      const start = performance.now();
      const response = await live.originalFetch(url, { headers: { 'X-Appwrite-Project': 'demo' }, credentials: 'include' });
      const headers = performance.now();
      const body = await response.text();
      const end = performance.now();
      // As many lists at once as there are views (each view's URL), to the last body read.
      let concurrentMs = null;
      if (live.views.length > 1) {
        const start = performance.now();
        await Promise.all(live.views.map(async (entry) => {
          const response = await live.originalFetch(entry.url, { headers: { 'X-Appwrite-Project': 'demo' }, credentials: 'include' });
          await response.text();
        }));
        concurrentMs = performance.now() - start;
      }
      return {
        drop, close: marks.close[0], open: marks.open[0], resync: marks.resync[0], views, others,
        rest: { ms: end - start, headersMs: headers - start, bytes: body.length, concurrentMs },
      };
    }, [drop, done]);
    detail.writesDuring = writesDuring;
    results.push(detail);
  }
  return results;
}

/** Whether every view's rows (ids and `v`) and its copy kept from the changes equal the REST list. */
async function viewsEqualRest(page, api, collection, limits) {
  const results = [];
  for (const [index, limit] of limits.entries()) {
    const body = await api.rest('GET', `/databases/${DATABASE}/collections/${collection}/documents?queries[0]=${encodeURIComponent(JSON.stringify({ method: 'limit', values: [limit] }))}`);
    const expected = JSON.stringify(body.documents.map((row) => [row.$id, row.v]));
    const [rows, copy] = await page.evaluate((index) => {
      const entry = window.__live.views[index];
      const pick = (list) => JSON.stringify(list.map((row) => [row.$id, row.v]));
      return [pick(entry.view.rows), pick(entry.copy)];
    }, index);
    results.push(rows === expected && copy === expected);
  }
  return results;
}

async function gapScenario(browser, emulatorUrl, api, collection, limits, gaps, seed) {
  const page = await openPage(browser, emulatorUrl);
  const writer = startWriter(api, collection, liveSettings.rows, liveSettings.writeRate, seed);
  try {
    const opened = await openViews(page, `databases.${DATABASE}.collections.${collection}.documents`, limits);
    if (opened.some(({ rows, status, url }) => rows !== liveSettings.rows || status !== 'synced' || !url)) {
      throw new Error(`views did not open as expected: ${JSON.stringify(opened)}`);
    }
    const results = await measureGaps(page, emulatorUrl, api, writer, gaps);
    await writer.stop();
    await sleep(500);
    let equal;
    try {
      equal = await until('the views to equal the REST list', async () => {
        const checks = await viewsEqualRest(page, api, collection, limits);
        return checks.every(Boolean) && checks;
      }, 5000);
    } catch {
      equal = await viewsEqualRest(page, api, collection, limits);
    }
    const errors = await page.evaluate(() => window.__live.errors);
    return { views: limits.length, gaps: results, equal, errors, writes: writer.writes, writeErrors: writer.errors.length };
  } finally {
    await writer.stop();
    await closePage(page, emulatorUrl);
  }
}

/** The published event for version `k` of row `template`: one 'modified' change in a view. */
function publication(collection, template, k) {
  const channel = `databases.${DATABASE}.collections.${collection}.documents`;
  const id = template.$id;
  const updatedAt = new Date(Date.UTC(2099, 0, 1) + k).toISOString().replace('Z', '+00:00');
  return {
    project: 'demo',
    events: [
      `${channel}.${id}.update`, `${channel}.${id}`, `${channel}.*.update`, `${channel}.*`,
      `databases.${DATABASE}.collections.*.documents.*.update`, `databases.*.collections.*.documents.*.update`,
    ],
    channels: ['documents', channel, `${channel}.${id}`],
    roles: ['any'],
    payload: { ...template, v: 1_000_000 + k, $updatedAt: updatedAt },
  };
}

/** Publishes events `first`..`first + count − 1`, 16 at a time. */
async function publishRange(api, collection, templates, first, count) {
  let next = first;
  const worker = async () => {
    while (next < first + count) {
      const k = next++;
      await api.control('publish', publication(collection, templates[k % templates.length], k));
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/**
 * Per-event cost of one configuration in a fresh page: a warm-up of 100 events, then N events;
 * the renderer main thread's CPU time (CDP Performance metrics in thread ticks: TaskDuration,
 * ScriptDuration) from before the first publish to the last callback, ÷ N; the wall time inside
 * the socket's onmessage handler per frame; and the main thread's CPU time over an idle window as
 * long as the measured one (what the page spends on its own, per N).
 */
async function eventRun(browser, emulatorUrl, api, collection, templates, kind, state) {
  const page = await openPage(browser, emulatorUrl);
  try {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
    const metrics = async () => {
      const { metrics: list } = await cdp.send('Performance.getMetrics');
      return Object.fromEntries(list.map(({ name, value }) => [name, value]));
    };
    const channel = `databases.${DATABASE}.collections.${collection}.documents`;
    if (kind === 'plain') {
      await within(page.evaluate(async (channel) => {
        const live = window.__live;
        const entry = { calls: [], callsInside: 0, changes: 0 };
        live.views = [entry];
        live.subscription = await live.realtime.subscribe(channel, (event) => {
          entry.calls.push(performance.now());
          if (live.inHandler) entry.callsInside += 1;
          entry.changes += event.payload.$id ? 1 : 0;
        });
      }, channel), 30_000, 'subscribing');
    } else {
      const opened = await openViews(page, channel, [1500], kind === 'view+rows');
      if (opened[0].rows !== liveSettings.rows) throw new Error(`view opened with ${opened[0].rows} rows`);
    }
    const run = async (count) => {
      await page.evaluate(() => {
        const live = window.__live;
        Object.assign(live.views[0], { calls: [], callsInside: 0, changes: 0 });
        live.handlerMs = 0;
        live.frames = 0;
      });
      const first = state.k;
      state.k += count;
      const before = await metrics();
      const wallStart = performance.now();
      // Resolves in the page at its count-th change: no polling tasks in the measured window.
      const arrived = within(page.evaluate((count) => new Promise((resolve) => {
        const entry = window.__live.views[0];
        const check = () => {
          if (entry.changes >= count) resolve();
          else setTimeout(check, 50);
        };
        check();
      }), count), 60_000, `${count} events in the page (${kind})`);
      await publishRange(api, collection, templates, first, count);
      await arrived;
      const wallMs = performance.now() - wallStart;
      const after = await metrics();
      const result = await page.evaluate(() => {
        const live = window.__live;
        const { calls, callsInside, changes } = live.views[0];
        return { calls: calls.length, callsInside, changes, handlerMs: live.handlerMs, frames: live.frames };
      });
      return {
        wallMs,
        cpuUsPerEvent: ((after.TaskDuration - before.TaskDuration) * 1e6) / count,
        scriptUsPerEvent: ((after.ScriptDuration - before.ScriptDuration) * 1e6) / count,
        handlerUsPerFrame: (result.handlerMs * 1000) / result.frames,
        ...result,
      };
    };
    await run(100); // warm-up: JIT, the live wasm's first events
    const result = await run(liveSettings.events);
    // The same wall time with no event: the page's own work (timers, the driver's calls).
    const idleBefore = await metrics();
    await sleep(result.wallMs);
    const idleAfter = await metrics();
    result.idleUsPerEvent = ((idleAfter.TaskDuration - idleBefore.TaskDuration) * 1e6) / liveSettings.events;
    if (kind !== 'plain') {
      result.equal = await page.evaluate(() => {
        const entry = window.__live.views[0];
        return JSON.stringify(entry.copy.map((row) => [row.$id, row.v])) === JSON.stringify(entry.view.rows.map((row) => [row.$id, row.v]));
      });
    }
    return result;
  } finally {
    await closePage(page, emulatorUrl);
  }
}

async function measureEvents(browser, emulatorUrl, api, collection) {
  const listed = await api.rest('GET', `/databases/${DATABASE}/collections/${collection}/documents?queries[0]=${encodeURIComponent(JSON.stringify({ method: 'limit', values: [5000] }))}`);
  const templates = listed.documents;
  const kinds = ['plain', 'view', 'view+rows'];
  const runs = Object.fromEntries(kinds.map((kind) => [kind, []]));
  const state = { k: 0 };
  for (let run = 0; run < liveSettings.runs; run += 1) {
    for (const kind of kinds) runs[kind].push(await eventRun(browser, emulatorUrl, api, collection, templates, kind, state));
  }
  const round = (value) => Number(value.toFixed(1));
  return Object.fromEntries(kinds.map((kind) => [kind, {
    cpuUsPerEvent: median(runs[kind].map((run) => run.cpuUsPerEvent)),
    scriptUsPerEvent: median(runs[kind].map((run) => run.scriptUsPerEvent)),
    handlerUsPerFrame: median(runs[kind].map((run) => run.handlerUsPerFrame)),
    idleUsPerEvent: median(runs[kind].map((run) => run.idleUsPerEvent)),
    runs: runs[kind].map((run) => ({
      cpuUsPerEvent: round(run.cpuUsPerEvent), scriptUsPerEvent: round(run.scriptUsPerEvent),
      handlerUsPerFrame: round(run.handlerUsPerFrame), idleUsPerEvent: round(run.idleUsPerEvent),
      calls: run.calls, inside: run.callsInside, frames: run.frames, changes: run.changes, equal: run.equal, wallMs: Math.round(run.wallMs),
    })),
  }]));
}

/** Unfiltered against filtered subscriptions on the same write stream. */
async function measureMessages(browser, emulatorUrl, api, collection) {
  const page = await openPage(browser, emulatorUrl);
  const channel = `databases.${DATABASE}.collections.${collection}.documents`;
  try {
    await within(page.evaluate(async (channel) => {
      const live = window.__live;
      const response = await live.originalFetch(`/v1/databases/main/collections/${channel.split('.')[3]}/documents?queries[0]=${encodeURIComponent(JSON.stringify({ method: 'limit', values: [5000] }))}`, { headers: { 'X-Appwrite-Project': 'demo' } });
      const status = new Map((await response.json()).documents.map((row) => [row.$id, row.status]));
      const counts = (live.counts = { unfiltered: 0, filtered: 0, perIdDesign: 0, entered: 0, left: 0, matchingAtStart: [...status.values()].filter((s) => s === 'published').length });
      await live.realtime.subscribe(channel, (event) => {
        counts.unfiltered += 1;
        const id = event.payload.$id;
        const before = status.get(id) === 'published';
        const after = event.payload.status === 'published';
        status.set(id, event.payload.status);
        if (before || after) counts.perIdDesign += 1;
        if (!before && after) counts.entered += 1;
        if (before && !after) counts.left += 1;
      });
      await live.realtime.subscribe(channel, () => { counts.filtered += 1; }, [live.Query.equal('status', ['published'])]);
    }, channel), 30_000, 'subscribing');
    const { next } = generator(32);
    let k = 0;
    const write = async () => {
      while (k < liveSettings.writes) {
        k += 1;
        const id = rowId(Math.floor(next() * liveSettings.rows));
        const data = { v: 2_000_000 + k };
        if (next() < liveSettings.flip) data.status = next() < liveSettings.matching ? 'published' : 'draft';
        await api.rest('PATCH', `/databases/${DATABASE}/collections/${collection}/documents/${id}`, { data });
      }
    };
    await Promise.all(Array.from({ length: 4 }, write));
    await until('every write in the page', () => page.evaluate((n) => window.__live.counts.unfiltered >= n, liveSettings.writes), 20_000);
    await sleep(300);
    return await page.evaluate(() => window.__live.counts);
  } finally {
    await closePage(page, emulatorUrl);
  }
}

export async function measureLive() {
  const emulator = await startEmulator();
  // The page is made cross-origin isolated by a routed response (openPage), which Chromium then
  // treats as outside the local network: its socket to 127.0.0.1 would be refused without this.
  const browser = await launchBrowser({ chromiumArgs: ['--disable-features=LocalNetworkAccessChecks'] });
  const api = restClient(emulator.url);
  try {
    const setupStart = performance.now();
    const collection = 'livebench';
    await createCollection(api, collection, liveSettings.rows);
    const setupMs = performance.now() - setupStart;
    const one = await gapScenario(browser, emulator.url, api, collection, [1500], liveSettings.gaps, 1);
    const three = await gapScenario(browser, emulator.url, api, collection, [1500, 1501, 1502], liveSettings.gapsThree, 2);
    const messages = await measureMessages(browser, emulator.url, api, collection);
    const events = await measureEvents(browser, emulator.url, api, collection);
    return { settings: liveSettings, setupMs, one, three, messages, events };
  } finally {
    await browser.close();
    await emulator.stop();
  }
}

const pad = (text, width) => String(text).padStart(width);
const ms = (value) => (value === null || value === undefined ? '—' : value.toFixed(1));

/** Errors counted by text: `closed: Socket closed with code 1006 ×7`. */
function describeErrors(errors) {
  if (errors.length === 0) return 'none';
  const counts = new Map();
  for (const error of errors) counts.set(error, (counts.get(error) ?? 0) + 1);
  return [...counts].map(([text, count]) => `${text} ×${count}`).join(', ');
}

/** Median ms of `pick(gap, view)` over the gaps of a scenario, for every view. */
const stage = (scenario, pick) => median(scenario.gaps.flatMap((gap) => gap.views.map((view) => pick(gap, view))));

export function printLive(result) {
  const { settings: s, one, three, messages, events } = result;
  console.log(`\nLive views (realtime.live) against the emulator, headless Chromium: ${s.rows.toLocaleString('en-US')} rows in view ` +
    `(live(channel, [Query.limit(1500)])), writes ${s.writeRate}/s over REST PATCH during the gap runs`);

  console.log('\n1. REST lists per gap (POST /_emulator/drop; window.fetch wrapped; from the drop to the view\'s status \'synced\')');
  for (const scenario of [one, three]) {
    console.log(`${scenario.views} view${scenario.views > 1 ? 's' : ''} on one Realtime, ${scenario.gaps.length} gaps` +
      ` (writes during each gap, drop to last 'synced': ${scenario.gaps.map((gap) => gap.writesDuring).join(' ')})`);
    for (let index = 0; index < scenario.views; index += 1) {
      const lists = scenario.gaps.map((gap) => gap.views[index].lists);
      const late = scenario.gaps.reduce((sum, gap) => sum + gap.views[index].late, 0);
      console.log(`  view ${index + 1}: lists per gap ${lists.join(' ')}   max ${Math.max(...lists)}   late lists ${late}   goal 1`);
    }
    const totals = scenario.gaps.map((gap) => gap.views.reduce((sum, view) => sum + view.lists, 0) + gap.others);
    console.log(`  all fetches per gap: ${totals.join(' ')} (${(totals.reduce((a, b) => a + b, 0) / totals.length / scenario.views).toFixed(2)} per view per gap); ` +
      `statuses seen: ${[...new Set(scenario.gaps.flatMap((gap) => gap.views.map((view) => view.statuses)))].join(', ')}`);
    console.log(`  after the writer stopped, rows and the copy replayed from changes equal the REST list: ${scenario.equal.map((ok) => (ok ? 'yes' : 'NO')).join(' ')}` +
      `; errors reported: ${describeErrors(scenario.errors)}`);
  }

  console.log('\n2. Reconnect to \'synced\' (ms, median over gaps and views; marks: onClose/onOpen/onResync listeners, fetch wrapped, status setter)');
  const header = [['', 9], ['drop→close', 12], ['close→open', 12], ['open→resync', 13], ['resync→list', 13], ['list→headers', 14],
    ['headers→body', 14], ['body→synced', 13], ['resync→synced', 15], ['REST list RTT', 15], ['ratio', 7]];
  console.log(header.map(([name, width]) => pad(name, width)).join(''));
  for (const scenario of [one, three]) {
    const total = stage(scenario, (gap, view) => view.synced - gap.resync);
    const rest = median(scenario.gaps.map((gap) => gap.rest.ms));
    const cells = [
      `${scenario.views} view${scenario.views > 1 ? 's' : ''}`,
      ms(median(scenario.gaps.map((gap) => gap.close - gap.drop))),
      ms(median(scenario.gaps.map((gap) => gap.open - gap.close))),
      ms(median(scenario.gaps.map((gap) => gap.resync - gap.open))),
      ms(stage(scenario, (gap, view) => view.listStart - gap.resync)),
      ms(stage(scenario, (gap, view) => view.listHeaders - view.listStart)),
      ms(stage(scenario, (gap, view) => view.listBody - view.listHeaders)),
      ms(stage(scenario, (gap, view) => view.synced - view.listBody)),
      ms(total), ms(rest), `${(total / rest).toFixed(2)}x`,
    ];
    console.log(cells.map((cell, index) => pad(cell, header[index][1])).join(''));
    console.log(`  resync→synced per gap: ${scenario.gaps.map((gap) => gap.views.map((view) => ms(view.synced - gap.resync)).join('/')).join(' ')}`);
    console.log(`  REST list RTT per gap (fetch + text(), ${scenario.gaps[0].rest.bytes} B): ${scenario.gaps.map((gap) => ms(gap.rest.ms)).join(' ')}`);
    if (scenario.views > 1) {
      const last = median(scenario.gaps.map((gap) => Math.max(...gap.views.map((view) => view.synced)) - gap.resync));
      const concurrent = median(scenario.gaps.map((gap) => gap.rest.concurrentMs));
      console.log(`  resync→last view synced ${ms(last)} ms vs ${scenario.views} REST lists at once, to the last body ${ms(concurrent)} ms (${(last / concurrent).toFixed(2)}x)`);
    }
  }

  console.log(`\n3. Per-event cost, ${s.rows.toLocaleString('en-US')} rows in view, ${s.events} updates published (/_emulator/publish, each one 'modified' change), ` +
    `median of ${s.runs} fresh pages per configuration, run in turn`);
  console.log('CPU: renderer main thread CPU time (CDP Performance metrics, thread ticks) from the first publish to the last callback ÷ N;');
  console.log('script: its ScriptDuration part; handler: wall time inside the socket\'s onmessage per frame (the callbacks ran inside it: "inside");');
  console.log('idle: the same page\'s main thread CPU over as long a window with no event, ÷ N (not subtracted)');
  const eventsHeader = [['', 34], ['CPU µs/event', 14], ['ratio', 8], ['script µs', 11], ['handler µs/frame', 18], ['ratio', 8], ['idle µs', 9], ['inside', 10]];
  console.log(eventsHeader.map(([name, width]) => pad(name, width)).join(''));
  const labels = { plain: 'subscribe(channel, cb)', view: 'live(): onChange applies changes', 'view+rows': 'live(): onChange also reads rows' };
  for (const [kind, label] of Object.entries(labels)) {
    const figures = events[kind];
    const inside = figures.runs.reduce((sum, run) => sum + run.inside, 0);
    const calls = figures.runs.reduce((sum, run) => sum + run.calls, 0);
    const cells = [label, ms(figures.cpuUsPerEvent), `${(figures.cpuUsPerEvent / events.plain.cpuUsPerEvent).toFixed(2)}x`, ms(figures.scriptUsPerEvent),
      ms(figures.handlerUsPerFrame), `${(figures.handlerUsPerFrame / events.plain.handlerUsPerFrame).toFixed(2)}x`, ms(figures.idleUsPerEvent), `${inside}/${calls}`];
    console.log(cells.map((cell, index) => pad(cell, eventsHeader[index][1])).join(''));
    console.log(`  runs CPU µs: ${figures.runs.map((run) => run.cpuUsPerEvent).join(' ')}   handler µs: ${figures.runs.map((run) => run.handlerUsPerFrame).join(' ')}` +
      (kind === 'plain' ? '' : `   copy = rows: ${figures.runs.every((run) => run.equal) ? 'yes' : 'NO'}`));
  }
  console.log(`  view − plain: CPU ${ms(events.view.cpuUsPerEvent - events.plain.cpuUsPerEvent)} µs/event, handler ${ms(events.view.handlerUsPerFrame - events.plain.handlerUsPerFrame)} µs/frame`);

  const m = messages;
  console.log(`\n4. Messages for the same ${s.writes} PATCHes (rows matching the filter at the start: ${m.matchingAtStart}/${s.rows}; ${Math.round(s.flip * 100)} % of writes set status)`);
  const messagesHeader = [['', 58], ['messages', 10], ['÷ unfiltered', 14]];
  console.log(messagesHeader.map(([name, width]) => pad(name, width)).join(''));
  for (const [label, count] of [
    ['unfiltered subscription (what live() uses)', m.unfiltered],
    ['filtered subscription alone (misses the exits)', m.filtered],
    ['filtered + per-id subscription on each row in view', m.perIdDesign],
  ]) console.log([label, count, (count / m.unfiltered).toFixed(2)].map((cell, index) => pad(cell, messagesHeader[index][1])).join(''));
  console.log(`  rows that entered the filter ${m.entered}, left it ${m.left} (the exits a filtered subscription never announces); ` +
    `unfiltered ÷ (filtered + per-id): ${(m.unfiltered / m.perIdDesign).toFixed(2)}x`);
}

/** Checks that failed, for bench/run.mjs's exit code. */
export function liveFailures(result) {
  const failures = [];
  for (const scenario of [result.one, result.three]) {
    if (!scenario.equal.every(Boolean)) failures.push(`live: ${scenario.views} view(s) not equal to the REST list after the gaps`);
  }
  for (const [kind, figures] of Object.entries(result.events)) {
    if (kind !== 'plain' && !figures.runs.every((run) => run.equal)) failures.push(`live: ${kind} copy replayed from changes differs from rows`);
    if (!figures.runs.every((run) => run.changes === result.settings.events)) failures.push(`live: ${kind} did not see every event once`);
  }
  return failures;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await measureLive();
  printLive(result);
  const failures = liveFailures(result);
  for (const failure of failures) console.error(failure);
  if (failures.length) process.exitCode = 1;
}
