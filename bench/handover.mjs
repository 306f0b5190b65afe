// What the other tabs notice when the tab that owns the shared socket goes away or stops: for
// each cause, three pages of one headless Chromium context share a socket (the default), an
// event is published every 20 ms, and the owner page is closed, crashed, frozen, put in the
// back-forward cache, hidden past `hiddenTimeout`, disconnected, signed in, or blocked by a 4 s
// long task. Per cause, over the runs: the longest stall of a member page (its longest time
// between two events around the cause), the events a member lost (published after its
// subscription and never delivered), and the members' `onResync` calls. Closed, crashed, frozen,
// cached and blocked owners leave without warning (a takeover, a gap, `onResync`); the others are
// choices, where the owner keeps serving and the goal is 0 lost and no `onResync`.
//
// `node bench/handover.mjs` runs it alone (HANDOVER_RUNS=n runs per cause); bench/run.mjs calls
// `measureHandovers` and `printHandovers`.
import { fileURLToPath } from 'node:url';
import { launchBrowser, signUp, startEmulator, until } from '../e2e/harness.mjs';

export const handoverRuns = Number(process.env.HANDOVER_RUNS ?? 3);
const CHANNEL = 'databases.main.collections.posts.documents';
const EVERY_MS = 20;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function publish(emulatorUrl, id) {
  const response = await fetch(`${emulatorUrl}/_emulator/publish`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ project: 'demo', events: [`${CHANNEL}.${id}.create`], channels: [CHANNEL], roles: ['any'], payload: { $id: id } }),
  });
  if (!response.ok) throw new Error(`publish answered ${response.status}`);
}

async function openPage(browser, emulatorUrl) {
  const page = await browser.newPage();
  await page.goto(`${emulatorUrl}/e2e/conformance/blank.html`);
  await page.evaluate(async (channel) => {
    const { Client, Realtime } = await import('/pkg/index.js');
    window.client = new Client().setEndpoint(`${location.origin}/v1`).setProject('demo');
    window.realtime = new Realtime(window.client, { hiddenTimeout: 100 });
    window.bench = { arrivals: [], ids: new Set(), resyncs: 0, subscribedAt: 0 };
    window.realtime.onResync(() => { window.bench.resyncs += 1; });
    window.subscription = await window.realtime.subscribe(channel, (event) => {
      window.bench.arrivals.push(Date.now());
      window.bench.ids.add(event.payload.$id);
    });
    window.bench.subscribedAt = Date.now();
  }, CHANNEL);
  return page;
}

/** Each cause: what is done to the owner page, and whether the owner chose it. */
const causes = [
  ['closed', false, (page) => page.close()],
  ['crashed', false, async (page) => {
    const session = await page.context().newCDPSession(page);
    const crashed = new Promise((resolve) => page.once('crash', resolve));
    session.send('Page.crash').catch(() => {});
    await crashed;
  }],
  ['frozen', false, (page) => page.evaluate(() => document.dispatchEvent(new Event('freeze')))],
  ['back-forward cache', false, (page) => page.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true })))],
  ['blocked 4 s', false, async (page) => {
    await page.evaluate(() => { setTimeout(() => { const end = Date.now() + 4_000; while (Date.now() < end); }); });
    await page.evaluate(() => true);
  }],
  ['hidden past hiddenTimeout', true, (page) => page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { get: () => 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  })],
  ['disconnect()', true, (page) => page.evaluate(() => window.realtime.disconnect())],
  ['last subscription closed', true, (page) => page.evaluate(() => window.subscription.close())],
  ['signed in', true, (page, { token }) => page.evaluate((token) => { window.client.setSession(token); }, token)],
];

async function runCause(browser, emulatorUrl, act, user, seq) {
  const pages = [];
  for (let i = 0; i < 3; i += 1) pages.push(await openPage(browser, emulatorUrl));
  try {
    const states = await until('one owner and 3 tabs', async () => {
      const states = await Promise.all(pages.map((page) => page.evaluate(() => window.realtime.state)));
      return states.filter((s) => s.sharing === 'owner').length === 1 && states.every((s) => s.tabs === 3) && states;
    });
    const owner = pages[states.findIndex((s) => s.sharing === 'owner')];
    const members = pages.filter((page) => page !== owner);
    const published = [];
    let running = true;
    const publisher = (async () => {
      while (running) {
        const id = `handover-${(seq.n += 1)}`;
        await publish(emulatorUrl, id);
        published.push([id, Date.now()]);
        await sleep(EVERY_MS);
      }
    })();
    await sleep(300);
    const actedAt = Date.now();
    await act(owner, user);
    await sleep(1_500);
    running = false;
    await publisher;
    // A last event, once every member is subscribed again: what came before it has arrived.
    const fence = `handover-fence-${(seq.n += 1)}`;
    await until('the fence in every member', async () => {
      await publish(emulatorUrl, fence);
      return (await Promise.all(members.map((page) => page.evaluate((id) => window.bench.ids.has(id), fence)))).every(Boolean);
    });
    const results = [];
    for (const page of members) {
      const { arrivals, ids, resyncs, subscribedAt } = await page.evaluate(() => ({ ...window.bench, ids: [...window.bench.ids] }));
      const got = new Set(ids);
      const lost = published.filter(([id, at]) => at > subscribedAt && !got.has(id)).length;
      const around = arrivals.filter((at) => at >= actedAt - 500);
      let stall = 0;
      for (let i = 1; i < around.length; i += 1) stall = Math.max(stall, around[i] - around[i - 1]);
      results.push({ stall, lost, resyncs });
    }
    return results;
  } finally {
    await Promise.all(pages.map((page) => page.close().catch(() => {})));
  }
}

export async function measureHandovers() {
  const emulator = await startEmulator();
  const browser = await launchBrowser();
  const seq = { n: 0 };
  const rows = [];
  try {
    const user = await signUp(emulator.url, 'bench-handover');
    for (const [cause, chosen, act] of causes) {
      const members = [];
      for (let run = 0; run < handoverRuns; run += 1) members.push(...await runCause(browser, emulator.url, act, user, seq));
      const stalls = members.map((m) => m.stall).sort((a, b) => a - b);
      rows.push({
        cause, chosen,
        stallMedianMs: stalls[Math.floor(stalls.length / 2)], stallWorstMs: stalls.at(-1),
        lostPerMember: members.reduce((sum, m) => sum + m.lost, 0) / members.length,
        resyncsPerMember: members.reduce((sum, m) => sum + m.resyncs, 0) / members.length,
      });
    }
  } finally {
    await browser.close();
    await emulator.stop();
  }
  return { runs: handoverRuns, everyMs: EVERY_MS, rows };
}

export function printHandovers({ runs, everyMs, rows }) {
  console.log(`\nWhen the owner tab goes (headless Chromium, 3 tabs sharing, an event every ${everyMs} ms, ${runs} runs per cause)`);
  console.log('stall: a member\'s longest time between two events around the cause (median, worst); lost and onResync per member');
  const header = [['cause', 28], ['owner chose it', 16], ['stall ms', 10], ['worst ms', 10], ['lost', 7], ['onResync', 10]];
  console.log(header.map(([name, width]) => name.padStart(width)).join(''));
  for (const row of rows) {
    const cells = [row.cause, row.chosen ? 'yes' : 'no', row.stallMedianMs, row.stallWorstMs, row.lostPerMember.toFixed(1), row.resyncsPerMember.toFixed(1)];
    console.log(cells.map((cell, i) => String(cell).padStart(header[i][1])).join(''));
  }
}

/** Owner's choices that lost an event or fired onResync: the goal there is none. */
export const handoverFailures = ({ rows }) => rows
  .filter((row) => row.chosen && (row.lostPerMember > 0 || row.resyncsPerMember > 0))
  .map((row) => `handover by choice (${row.cause}): ${row.lostPerMember} lost, ${row.resyncsPerMember} onResync per member`);

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await measureHandovers();
  printHandovers(result);
  if (handoverFailures(result).length) process.exitCode = 1;
}
