// Live views under chaos (issue 32): three pages of one browser context hold live views on one
// collection, sharing one socket (`shareAcrossTabs` is on by default): one filtered
// (`Query.equal('status', 'published')`), one ordered with a window (`Query.orderDesc('n'),
// Query.limit(10)`) and one plain, with no queries. A writer in Node creates, updates (moving rows
// into and out of the filter and the top 10, changing `n`) and deletes rows over REST, some 20
// writes a second, while the test makes gaps:
//
// - drop: the emulator cuts every socket without a close frame (`POST /_emulator/drop`);
// - offline: the browser context goes offline for 10 s (`context.setOffline`, every page: the
//   three pages share one context, as tabs that share a socket do), and the emulator drops the
//   sockets at the same moment: neither engine's offline emulation closes a WebSocket already
//   open (tried), as a real loss of the network does;
// - one page offline (Chromium only): one page's network goes for 10 s through the DevTools
//   protocol (`Network.emulateNetworkConditions`, what `setOffline` sends per page), sockets
//   dropped likewise; Firefox's WebDriver BiDi emulates the network per context only;
// - freeze: a page gets the `freeze` event, its main thread then stops for 5 s, and `resume`
//   follows, after which the tasks queued meanwhile run, as in a frozen page. In both engines
//   this is emulated in the page: headless Chromium reports every page visible and ignores
//   `Page.setWebLifecycleState`'s `frozen` for a visible page (tried: timers go on, no `freeze`
//   event), and Firefox has no such command (the tabs tests dispatch the same events);
// - owner closed: the page that owns the shared socket is closed and a page with the same view is
//   opened again.
//
// After each gap, writes go on for 2 s (the view catches up under load), then the writer pauses
// and every view must be `synced`, its rows (by `$id`, in order, with `status`, `n` and
// `$updatedAt`) equal to a fresh REST list with its queries, and its changes, replayed on its
// first rows, equal to its rows; every page the gap reached must have resynced and listed again,
// and no page may report a callback, internal or protocol error or an uncaught error. The same
// holds at the end, once the writes stopped. A view slower than 3 s to settle is no failure
// (see SETTLE_MS), but the pages' traces since the gap are printed.
//
// Chromium and Firefox only, as every e2e suite (e2e/harness.mjs drives no WebKit).
//
// The plain view has no queries, so the REST list it equals is Appwrite's default page of 25 rows
// in creation order: the writer keeps the collection between about 20 and 45 rows, so that this
// window is sometimes full (a row deleted from it must be refilled from beyond it) and sometimes
// not. (`Query.limit(1000)` would make it hold everything; the window is the harder case.)
//
// LIVE_CHAOS_SECONDS (default 60) is how long the writes and gaps go on; LIVE_CHAOS_SEED (default
// 32) seeds the writes, the gaps and their targets. A failure prints the seed, the gaps so far,
// the view's rows, the REST list, what the replay gave and the page's console.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEmulatorAndBrowser, browserName, generator, until, restCall, controlCall } from './harness.mjs';

const SEED = Number(process.env.LIVE_CHAOS_SEED ?? 32);
const SECONDS = Number(process.env.LIVE_CHAOS_SECONDS ?? 60);
const WRITE_EVERY_MS = 50; // 20 writes a second
const OFFLINE_MS = 10_000;
const FROZEN_MS = 5_000;
/** Writes after a gap before the views are compared: they catch up while rows keep changing. */
const CATCH_UP_MS = 2_000;
/**
 * How long a view may take to settle once the writes paused. Generous: a list that failed while
 * offline is made again on its backoff (2, 4, 8, 16, 30 s) even once the connection resynced, and
 * a member tab whose join met the owner's failing socket waits out its 10 s connect timeout.
 */
const SETTLE_MS = 40_000;
const INITIAL_ROWS = 30;
const STATUSES = ['published', 'draft', 'archived'];

const suite = useEmulatorAndBrowser();
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A REST call to the emulator as the demo project. */
const rest = (method, path, body) => restCall(suite.emulator.url, method, path, body);

/** A POST to the emulator's control surface. */
const control = (action, body) => controlCall(suite.emulator.url, action, body);

const documents = (id) => `/databases/main/collections/${id}/documents`;

/** What is compared of a row: its id, the fields the views read, and its version. */
const shape = (row) => [row.$id, row.status, row.n, row.$updatedAt];

/** The REST list of `texts` on collection `id`, shaped: the oracle. */
async function listed(id, texts) {
  const query = texts.map((text, index) => `queries[${index}]=${encodeURIComponent(text)}`).join('&');
  const body = await rest('GET', `${documents(id)}?${query}`);
  return body.documents.map(shape);
}

/** The three views: a name and its queries, as `[Query method, ...arguments]`. */
const VIEWS = [
  { name: 'published', queries: [['equal', 'status', 'published']] },
  { name: 'top10', queries: [['orderDesc', 'n'], ['limit', 10]] },
  { name: 'plain', queries: [] },
];

/**
 * Opens a page with a `Realtime` (tab sharing as by default) and a live view of collection `id`;
 * its changes are replayed on its first rows in `window.replayed`.
 */
async function openView(id, spec) {
  const page = await suite.browser.newPage();
  const view = { name: spec.name, queries: spec.queries, page, log: [] };
  page.on('console', (message) => view.log.push(`${spec.name} [${message.type()}] ${message.text().split('\n')[0]}`));
  page.on('pageerror', (error) => view.log.push(`${spec.name} [pageerror] ${error.message}`));
  await page.goto(`${suite.emulator.url}/e2e/conformance/blank.html`);
  view.texts = await page.evaluate(async ([endpoint, id, queries]) => {
    const { Client, Realtime, Query } = await import('/pkg/index.js');
    Object.assign(window, { errors: [], statuses: [], changes: 0, early: 0, lists: 0, resyncs: 0, replayed: undefined, trace: [] });
    // What happened when (ms since the epoch): lists, connection states, resyncs, network and
    // lifecycle events; the last 300, for a failure's report.
    const trace = (what) => {
      window.trace.push([Date.now(), what]);
      if (window.trace.length > 300) window.trace.shift();
    };
    const original = window.fetch;
    window.fetch = (...args) => {
      if (!String(args[0]).includes('/documents')) return original(...args);
      window.lists += 1;
      const list = window.lists;
      trace(`list ${list}`);
      return original(...args).then(
        (response) => (trace(`list ${list}: ${response.status}`), response),
        (error) => { trace(`list ${list}: ${error.name}`); throw error; },
      );
    };
    for (const name of ['online', 'offline']) window.addEventListener(name, () => trace(name));
    for (const name of ['freeze', 'resume']) document.addEventListener(name, () => trace(name));
    window.realtime = new Realtime(new Client().setEndpoint(endpoint).setProject('demo'));
    window.realtime.onError((error) => {
      window.errors.push({ kind: error.kind, message: error.message, at: Date.now() });
      trace(`error ${error.kind}: ${error.message}`);
    });
    window.realtime.onResync(() => { window.resyncs += 1; trace('resync'); });
    window.realtime.onStateChange((state) => trace(`connection ${state.status} (${state.sharing}, ${state.tabs} tabs)`));
    const texts = queries.map(([method, ...args]) => Query[method](...args));
    window.view = await window.realtime.live(`databases.main.collections.${id}.documents`, texts, (view, changes) => {
      window.changes += changes.length;
      if (window.statuses.at(-1) !== view.status) {
        window.statuses.push(view.status);
        trace(`view ${view.status}`);
      }
      // Changes before live() resolved are in the rows `replayed` starts from.
      if (!window.replayed) return void (window.early += 1);
      for (const change of changes) {
        if (change.type !== 'added') window.replayed.splice(change.oldIndex, 1);
        if (change.type !== 'removed') window.replayed.splice(change.newIndex, 0, change.row);
      }
    });
    window.replayed = [...window.view.rows];
    return texts;
  }, [`${suite.emulator.url}/v1`, id, spec.queries]);
  return view;
}

/** What a page shows: its view's status and rows, the replayed rows, its connection. */
const readView = (view) => view.page.evaluate(() => {
  const shape = (row) => [row.$id, row.status, row.n, row.$updatedAt];
  return {
    status: window.view.status,
    error: window.view.error && `${window.view.error.kind}: ${window.view.error.message}`,
    rows: window.view.rows.map(shape),
    replayed: window.replayed.map(shape),
    connection: window.realtime.state.status,
    sharing: window.realtime.state.sharing,
    tabs: window.realtime.state.tabs,
    statuses: window.statuses,
    changes: window.changes,
    early: window.early,
    lists: window.lists,
    resyncs: window.resyncs,
    trace: window.trace,
    errors: window.errors,
  };
});

/**
 * The writer: creates, updates and deletes rows of collection `id`, one every 50 ms (now and
 * then two or three at once on different rows), seeded. `pause()` resolves once no write is in
 * flight; `resume()` goes on; `stop()` ends it. A write that fails fails the test.
 */
function startWriter(id, random, initial) {
  const rows = new Map(initial.map((row) => [row.$id, { status: row.status, n: row.n }]));
  const gone = [];
  const busy = new Set();
  const counts = { create: 0, recreate: 0, status: 0, n: 0, both: 0, delete: 0 };
  let next = initial.length;
  let paused = false;
  let stopped = false;
  let failure;
  let wake = () => {};
  const inFlight = new Set();

  const write = (kind, rowId, body) => {
    counts[kind] += 1;
    busy.add(rowId);
    const done = (async () => {
      switch (kind) {
        case 'create':
        case 'recreate':
          await rest('POST', documents(id), {
            documentId: rowId, data: body, permissions: ['read("any")', 'update("any")', 'delete("any")'],
          });
          break;
        case 'delete':
          await rest('DELETE', `${documents(id)}/${rowId}`);
          break;
        default:
          await rest('PATCH', `${documents(id)}/${rowId}`, { data: body });
      }
    })().catch((error) => { failure ??= error; }).finally(() => {
      busy.delete(rowId);
      inFlight.delete(done);
    });
    inFlight.add(done);
  };

  /** One write on a row no write in flight touches. */
  const one = () => {
    const free = [...rows.keys()].filter((rowId) => !busy.has(rowId));
    const size = rows.size;
    const kind = random.weighted([
      [size < 20 ? 6 : size > 45 ? 0.3 : 2, 'create'],
      [free.length ? (size > 45 ? 6 : size < 20 ? 0.3 : 2) : 0, 'delete'],
      [free.length ? 3 : 0, 'status'],
      [free.length ? 3 : 0, 'n'],
      [free.length ? 1 : 0, 'both'],
    ]);
    if (kind === 'create') {
      const again = gone.filter((rowId) => !busy.has(rowId));
      // A row created again under an id deleted before: a later `$sequence` for the same `$id`.
      const recreate = again.length > 0 && random.next() < 0.3;
      const rowId = recreate ? random.pick(again) : `r${(next += 1)}`;
      if (recreate) gone.splice(gone.indexOf(rowId), 1);
      const data = { status: random.pick(STATUSES), n: Math.floor(random.next() * 100) };
      rows.set(rowId, data);
      write(recreate ? 'recreate' : 'create', rowId, data);
      return;
    }
    const rowId = random.pick(free);
    if (kind === 'delete') {
      rows.delete(rowId);
      gone.push(rowId);
      write('delete', rowId);
      return;
    }
    const row = rows.get(rowId);
    const data = {};
    if (kind !== 'n') data.status = random.pick(STATUSES.filter((status) => status !== row.status));
    if (kind !== 'status') data.n = Math.floor(random.next() * 100);
    Object.assign(row, data);
    write(kind, rowId, data);
  };

  const done = (async () => {
    let due = Date.now();
    while (!stopped && !failure) {
      if (paused) {
        await new Promise((resolve) => { wake = resolve; });
        due = Date.now();
        continue;
      }
      const burst = random.next() < 0.1 ? 2 + Math.floor(random.next() * 2) : 1;
      for (let i = 0; i < burst; i += 1) one();
      due = Math.max(due + WRITE_EVERY_MS, Date.now() - 200); // behind by more than 200 ms: no catching up in a rush
      await pause(Math.max(0, due - Date.now()));
    }
    await Promise.all(inFlight);
  })();

  const check = () => { if (failure) throw new Error(`a write failed: ${failure.message}`); };
  return {
    counts,
    get size() { return rows.size; },
    check,
    async pause() {
      paused = true;
      await Promise.all(inFlight);
      check();
    },
    resume() {
      check();
      paused = false;
      wake();
    },
    async stop() {
      stopped = true;
      paused = false;
      wake();
      await done;
      check();
    },
  };
}

test(`live views under chaos (seed ${SEED}, ${SECONDS} s): three pages' views equal the REST list after every gap`,
  { timeout: (SECONDS + 120) * 1000 }, async () => {
    const random = generator(SEED);
    const collection = `chaos${SEED}`;
    await rest('POST', '/databases/main/collections', {
      collectionId: collection, name: collection,
      permissions: ['read("any")', 'create("any")', 'update("any")', 'delete("any")'],
    });
    const initial = [];
    for (let i = 1; i <= INITIAL_ROWS; i += 1) {
      const row = { $id: `r${i}`, status: random.pick(STATUSES), n: Math.floor(random.next() * 100) };
      await rest('POST', documents(collection), {
        documentId: row.$id, data: { status: row.status, n: row.n }, permissions: ['read("any")', 'update("any")', 'delete("any")'],
      });
      initial.push(row);
    }

    const views = [];
    for (const spec of VIEWS) views.push(await openView(collection, spec));
    const history = [];
    const settleTimes = [];
    let writer;
    const started = Date.now();
    const elapsed = () => ((Date.now() - started) / 1000).toFixed(1);

    /** Prints what a failure needs to be understood, then rethrows. */
    const diagnose = async (error, view, last) => {
      const lines = [
        `--- live chaos (${browserName}), seed ${SEED} failed at ${elapsed()} s (replay: LIVE_CHAOS_SEED=${SEED} LIVE_CHAOS_SECONDS=${SECONDS} E2E_BROWSER=${browserName} node --test e2e/live-chaos.test.mjs)`,
        `gaps: ${history.join('; ')}`,
        `writes: ${JSON.stringify(writer?.counts)}`,
      ];
      if (view) {
        lines.push(`view ${view.name} ${JSON.stringify(view.texts)}`);
        if (last) {
          lines.push(`  status ${last.status}, connection ${last.connection} (${last.sharing}, ${last.tabs} tabs), error ${last.error}`);
          lines.push(`  rows     (${last.rows.length}): ${JSON.stringify(last.rows)}`);
          lines.push(`  expected (${last.expected.length}): ${JSON.stringify(last.expected)}`);
          lines.push(`  replayed (${last.replayed.length}): ${JSON.stringify(last.replayed)}`);
          lines.push(`  statuses ${last.statuses.join(' ')}; ${last.changes} changes, ${last.lists} lists; errors ${JSON.stringify(last.errors.slice(-10))}`);
        }
      }
      for (const other of views) {
        const read = await readView(other).catch(() => undefined);
        const state = read ? `${read.status}/${read.connection}/${read.sharing}` : '(unreadable)';
        lines.push(`page ${other.name}: ${state}`, ...other.log.slice(-40));
        if (read) lines.push(`  trace: ${timeline(read.trace.slice(-60))}`);
        const debug = await other.page.evaluate(() => window.realtime.debugLog().slice(-15)
          .map((entry) => `${entry.time.slice(11)} ${entry.direction} ${entry.type} ${entry.detail.slice(0, 100)}`)).catch(() => []);
        lines.push(...debug.map((line) => `  ${line}`));
      }
      console.log(lines.join('\n'));
      error.diagnosed = true;
      throw error;
    };

    /** A page's trace entries as `seconds since the test began: what`. */
    const timeline = (entries) => entries.map(([at, what]) => `${((at - started) / 1000).toFixed(2)} ${what}`).join('; ');

    /**
     * Waits until every view is synced and equal to its REST list, then checks its replay. A view
     * slower than 3 s to settle has its trace since `since` printed.
     */
    const settled = async (label, since = Date.now()) => {
      const from = Date.now();
      for (const view of views) {
        let last;
        const waited = Date.now();
        try {
          await until(`view ${view.name} to be synced and equal to the REST list after ${label}`, async () => {
            const expected = await listed(collection, view.texts);
            last = { ...(await readView(view)), expected };
            return last.status === 'synced' && JSON.stringify(last.rows) === JSON.stringify(expected);
          }, SETTLE_MS);
          assert.equal(last.error, null, `view ${view.name} ended`);
          assert.deepEqual(last.replayed, last.rows, `view ${view.name}: its changes replayed on its first rows give its rows`);
          const bad = last.errors.filter((error) => ['callback', 'internal', 'protocol'].includes(error.kind));
          assert.deepEqual(bad, [], `view ${view.name}: errors`);
          // Firefox reports a WebSocket that cannot connect (a refused or offline reconnect), or
          // one cut while the page loads (a drop as a page reopens), as a page error; that is the
          // network, not page code.
          const uncaught = view.log.filter((line) => /\[pageerror\]|unreachable|RuntimeError/.test(line) &&
            !/can.t establish a connection to the server at ws:|to ws:\S+ was interrupted while the page was loading/.test(line));
          assert.deepEqual(uncaught, [], `view ${view.name}: uncaught errors or traps`);
          if (Date.now() - waited > 3_000) {
            const lines = [`live chaos (${browserName}): view ${view.name} took ${Date.now() - waited} ms to settle after ${label}; the pages' traces since the gap:`];
            for (const other of views) {
              const { trace } = other === view ? last : await readView(other);
              lines.push(`  ${other.name}: ${timeline(trace.filter(([at]) => at >= since))}`);
            }
            console.log(lines.join('\n'));
          }
        } catch (error) {
          await diagnose(error, view, last);
        }
      }
      const ms = Date.now() - from;
      settleTimes.push([label, ms]);
      return ms;
    };

    /** One settle point: writes go on for a while, then pause while the views are compared. */
    const checkpoint = async (label, since) => {
      await pause(CATCH_UP_MS);
      await writer.pause();
      const ms = await settled(label, since);
      history[history.length - 1] += ` (settled ${ms} ms after the writes paused)`;
      writer.resume();
    };

    /** Each open page's resync and list counts, by page. */
    const counters = async () => new Map(await Promise.all(views.map(async (view) =>
      [view.page, await view.page.evaluate(() => ({ resyncs: window.resyncs, lists: window.lists }))])));

    const ownerOf = () => until('one page owning the shared socket', async () => {
      const states = await Promise.all(views.map((view) => view.page.evaluate(() => window.realtime.state.sharing)));
      return views[states.indexOf('owner')];
    });

    const setPageOffline = async (view, offline) => {
      view.cdp ??= await view.page.context().newCDPSession(view.page);
      await view.cdp.send('Network.emulateNetworkConditions', { offline, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    };

    const GAPS = {
      async drop() {
        const { affected } = await control('drop');
        return { detail: `${affected} socket(s)`, touched: views.map((view) => view.name) };
      },
      async offline() {
        await suite.browser.context.setOffline(true);
        const { affected } = await control('drop');
        await pause(OFFLINE_MS);
        await suite.browser.context.setOffline(false);
        return { detail: `every page, ${affected} socket(s) dropped`, touched: views.map((other) => other.name) };
      },
      async 'one offline'() {
        const view = random.pick(views);
        const role = await view.page.evaluate(() => window.realtime.state.sharing);
        await setPageOffline(view, true);
        const { affected } = await control('drop');
        await pause(OFFLINE_MS);
        await setPageOffline(view, false);
        return { detail: `${view.name} (${role}), ${affected} socket(s) dropped`, touched: views.map((other) => other.name) };
      },
      async freeze() {
        const view = random.next() < 0.5 ? await ownerOf() : random.pick(views);
        const role = await view.page.evaluate(() => window.realtime.state.sharing);
        await view.page.evaluate((ms) => {
          document.dispatchEvent(new Event('freeze'));
          const end = Date.now() + ms;
          while (Date.now() < end); // frozen: nothing of the page runs, its tasks queue
          document.dispatchEvent(new Event('resume'));
        }, FROZEN_MS);
        return { detail: `${view.name} (${role})`, touched: [view.name] };
      },
      async 'close owner'() {
        const owner = await ownerOf();
        await owner.page.close();
        const reopened = await openView(collection, { name: owner.name, queries: owner.queries });
        views[views.indexOf(owner)] = reopened;
        // The other pages' sockets were handed over to a new owner: they resync.
        return { detail: `${owner.name}, reopened`, touched: views.filter((view) => view !== reopened).map((view) => view.name) };
      },
    };
    const kinds = Object.keys(GAPS).filter((kind) => kind !== 'one offline' || browserName === 'chromium');
    const length = { drop: 0, offline: OFFLINE_MS, 'one offline': OFFLINE_MS, freeze: FROZEN_MS, 'close owner': 1_000 };

    try {
      const sharing = await Promise.all(views.map((view) => view.page.evaluate(() => window.realtime.state.sharing)));
      assert.ok(sharing.every((role) => role === 'owner' || role === 'member'), `the pages share one socket: ${sharing}`);
      history.push('start');
      await settled('the first lists');
      writer = startWriter(collection, random, initial);
      // Every kind of gap once, in a seeded order, then seeded picks while time is left.
      const order = [...kinds].sort(() => random.next() - 0.5);
      const deadline = started + SECONDS * 1000;
      for (;;) {
        await pause(500 + random.next() * 1_500); // steady writes between gaps
        const kind = order.shift() ?? random.pick(kinds);
        if (Date.now() + length[kind] + CATCH_UP_MS + 1_000 > deadline) break;
        const at = elapsed();
        const before = await counters();
        const since = Date.now();
        const { detail, touched } = await GAPS[kind]();
        history.push(`${at} s ${kind}: ${detail}`);
        writer.check();
        await checkpoint(kind, since);
        // Each page the gap reached resynced and listed again.
        const after = await counters();
        const grew = views.map((view) => {
          const was = before.get(view.page) ?? { resyncs: 0, lists: 0 };
          const now = after.get(view.page);
          return { view, resyncs: now.resyncs - was.resyncs, lists: now.lists - was.lists, fresh: !before.has(view.page) };
        });
        history[history.length - 1] += `; resyncs/lists ${grew.map((g) => `${g.view.name} +${g.resyncs}/+${g.lists}${g.fresh ? ' (new page)' : ''}`).join(', ')}`;
        for (const g of grew) {
          if (g.fresh || !touched.includes(g.view.name)) continue;
          if (g.resyncs < 1 || g.lists < 1) {
            await diagnose(new assert.AssertionError({
              message: `view ${g.view.name}: no resync and list again after the gap (${kind}): +${g.resyncs} resyncs, +${g.lists} lists`,
            }), g.view);
          }
        }
      }
      await pause(Math.max(0, deadline - Date.now()));
      await writer.stop();
      history.push(`${elapsed()} s writes stopped`);
      await settled('the writes stopped');
    } catch (error) {
      await writer?.stop().catch(() => {});
      if (!error.diagnosed) await diagnose(error).catch(() => {});
      throw error;
    } finally {
      await writer?.stop().catch(() => {});
    }

    const reads = await Promise.all(views.map(readView));
    const writes = Object.values(writer.counts).reduce((sum, count) => sum + count, 0);
    console.log(`live chaos (${browserName}), seed ${SEED}: ${writes} writes in ${SECONDS} s ${JSON.stringify(writer.counts)}, ` +
      `${writer.size} rows at the end; gaps: ${history.slice(1).join('; ')}; ` +
      `views: ${views.map((view, i) => `${view.name} ${reads[i].rows.length} rows, ${reads[i].changes} changes, ${reads[i].lists} lists` +
        `${reads[i].early ? `, ${reads[i].early} onChange before live() resolved` : ''}`).join('; ')}; ` +
      `slowest settle ${Math.max(...settleTimes.map(([, ms]) => ms))} ms (${settleTimes.reduce((a, b) => (b[1] > a[1] ? b : a))[0]}); run ${elapsed()} s`);
  });
