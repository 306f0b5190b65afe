// Sharing one socket across tabs (`shareAcrossTabs`, js/tabs.js) against one socket per tab (the
// official SDK's way, and ours without the option): for N = 1, 2, 4 and 8 pages of one browser
// context (headless Chromium), each subscribed to the posts channel, the sockets the emulator
// sees, the messages it sends for E published events (the sum of `/_emulator/publish`'s
// `delivered`, which counts one message per socket it wrote the event to, as Appwrite Cloud
// bills them), and what an event costs in the tab that owns the shared socket and in the tabs
// that get it relayed over the BroadcastChannel.
//
// How the per-event time is taken: the pages that read the server's socket (the owner when
// shared, every page when not) are kept busy while the E events are published, so the events
// wait in their sockets; then they run free and each page times its callbacks from the first to
// the last, divided by E − 1. That is the rate a tab keeps up with a burst, its own cost and not
// the publisher's: without the wait the pages would only follow the rate at which the events are
// published over HTTP, and owner and member would look alike whatever the relay costs. A member
// cannot receive faster than its owner relays, so member ÷ owner is the relay's cost on top of
// the owner's work (structured clone, the hop between processes, the member's own decoding). The
// run is discarded and repeated if a page stopped waiting before the last publish returned.
// Beside it, the hop's latency: events published 20 ms apart, the median of (member's callback −
// owner's callback), both on the pages' wall clocks (performance.timeOrigin + now()).
//
// `node bench/tabs.mjs` runs it alone (TABS_EVENTS=n for another E); bench/run.mjs calls
// `measureTabs` and `printTabs`.
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launchBrowser, startEmulator, until } from '../e2e/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..');

export const tabCounts = [1, 2, 4, 8];
export const tabEvents = Number(process.env.TABS_EVENTS ?? 200);
/** Burst runs per N and mode; the median is reported. */
export const tabRuns = 5;
const hopEvents = 30;
const hopSpacingMs = 20;

const CHANNEL = 'databases.main.collections.posts.documents';

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? null : sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const wallClock = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Bytes the feature adds to the JS: js/tabs.js minified by esbuild (part of the default entry). */
export async function tabsScriptBytes(root = repoRoot) {
  const result = await build({
    entryPoints: [join(root, 'js/tabs.js')], bundle: true, write: false, minify: true, format: 'esm', logLevel: 'silent',
  });
  const bytes = result.outputFiles[0].contents;
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

async function publish(emulatorUrl, seq, extra = {}) {
  const id = `tabs${seq}`;
  const response = await fetch(`${emulatorUrl}/_emulator/publish`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      project: 'demo',
      events: [`${CHANNEL}.${id}.create`, `${CHANNEL}.*.create`, `${CHANNEL}.*`],
      channels: [CHANNEL, `${CHANNEL}.${id}`, 'documents'],
      roles: ['any'],
      payload: { $id: id, seq, title: `event ${seq}`, ...extra },
    }),
  });
  if (!response.ok) throw new Error(`publish answered ${response.status}: ${await response.text()}`);
  return (await response.json()).delivered;
}

async function connections(emulatorUrl) {
  return (await (await fetch(`${emulatorUrl}/_emulator/connections`)).json()).total;
}

/** Opens a page on the emulator's origin with a `Realtime` subscribed to the posts channel. */
async function openTab(browser, emulatorUrl, share) {
  const page = await browser.newPage();
  await page.goto(`${emulatorUrl}/e2e/conformance/blank.html`);
  await page.evaluate(async ({ share, channel }) => {
    const { Client, Realtime } = await import('/pkg/index.js');
    const client = new Client().setEndpoint(`${location.origin}/v1`).setProject('demo');
    const realtime = new Realtime(client, { shareAcrossTabs: share });
    const bench = { realtime, times: [], seqs: [] };
    window.bench = bench;
    await realtime.subscribe(channel, (event) => {
      bench.times.push(performance.timeOrigin + performance.now());
      bench.seqs.push(event.payload.seq);
    });
  }, { share, channel: CHANNEL });
  return page;
}

const clearInbox = (page) => page.evaluate(() => { window.bench.times = []; window.bench.seqs = []; });
const readInbox = (page) => page.evaluate(() => ({ times: window.bench.times, seqs: window.bench.seqs }));

/** Keeps the page's main thread busy for `ms`; resolves with when it started and stopped (wall clock). */
const blockPage = (page, ms) => page.evaluate((ms) => {
  const now = () => performance.timeOrigin + performance.now();
  const start = now();
  while (now() - start < ms);
  return { start, end: now() };
}, ms);

/** Checks that every page got events `first`..`first + count − 1` exactly once; a message if not. */
function checkInbox(label, seqs, first, count) {
  const seen = new Set(seqs);
  if (seqs.length !== count || seen.size !== count) return `${label}: ${seqs.length} callbacks for ${count} events (${seen.size} distinct)`;
  for (let seq = first; seq < first + count; seq += 1) if (!seen.has(seq)) return `${label}: event ${seq} missing`;
  return null;
}

/**
 * One burst: the readers are blocked while `count` events are published concurrently, then every
 * page's callbacks are timed. Returns µs/event per page and the messages sent, or null when a
 * reader stopped waiting before the last publish had returned (then it is run again, longer).
 */
async function burst(pages, readers, emulatorUrl, firstSeq, count, blockMs) {
  await Promise.all(pages.map(clearInbox));
  const blocks = Promise.all(readers.map((page) => blockPage(page, blockMs)));
  await sleep(50); // the pages pick the busy loop up
  const publishStart = wallClock();
  const delivered = await Promise.all(Array.from({ length: count }, (_, index) => publish(emulatorUrl, firstSeq + index)));
  const publishEnd = wallClock();
  const windows = await blocks;
  const valid = windows.every(({ start, end }) => start < publishStart && end > publishEnd);
  await until(`${count} events in ${pages.length} pages`, async () =>
    (await Promise.all(pages.map((page) => page.evaluate(() => window.bench.seqs.length)))).every((n) => n >= count));
  await sleep(50); // a duplicate would arrive now
  const inboxes = await Promise.all(pages.map(readInbox));
  const errors = inboxes.map(({ seqs }, index) => checkInbox(`page ${index + 1}`, seqs, firstSeq, count)).filter(Boolean);
  const usPerEvent = inboxes.map(({ times }) => ((times.at(-1) - times[0]) * 1000) / (count - 1));
  return { valid, messages: delivered.reduce((sum, n) => sum + n, 0), usPerEvent, errors, publishMs: publishEnd - publishStart };
}

/**
 * Events spaced `hopSpacingMs` apart: median µs from the owner's callback to each member's (or,
 * unshared, from the first tab's to the others', as a baseline).
 */
async function hopLatency(owner, members, emulatorUrl, firstSeq) {
  const pages = [owner, ...members];
  await Promise.all(pages.map(clearInbox));
  for (let index = 0; index < hopEvents; index += 1) {
    await publish(emulatorUrl, firstSeq + index);
    await sleep(hopSpacingMs);
  }
  await until('the spaced events', async () =>
    (await Promise.all(pages.map((page) => page.evaluate(() => window.bench.seqs.length)))).every((n) => n >= hopEvents));
  const [ownerInbox, ...memberInboxes] = await Promise.all(pages.map(readInbox));
  const ownerAt = new Map(ownerInbox.seqs.map((seq, index) => [seq, ownerInbox.times[index]]));
  const lags = memberInboxes.flatMap(({ seqs, times }) => seqs.map((seq, index) => (times[index] - ownerAt.get(seq)) * 1000));
  return median(lags);
}

/** N pages, shared or not: sockets, messages for E events, and µs/event per role. */
async function measureMode(browser, emulatorUrl, tabs, share, state) {
  const pages = [];
  try {
    for (let index = 0; index < tabs; index += 1) pages.push(await openTab(browser, emulatorUrl, share));
    const states = await until('every page connected (and all tabs counted when shared)', async () => {
      const states = await Promise.all(pages.map((page) => page.evaluate(() => window.bench.realtime.state)));
      return states.every(({ status, tabs: counted }) => status === 'connected' && (!share || counted === tabs)) && states;
    });
    const sockets = await connections(emulatorUrl);
    const ownerIndex = share ? states.findIndex(({ sharing }) => sharing === 'owner') : -1;
    if (share && (ownerIndex < 0 || states.filter(({ sharing }) => sharing === 'owner').length !== 1)) {
      throw new Error(`expected one owner, got sharing = ${states.map(({ sharing }) => sharing).join(', ')}`);
    }
    const readers = share ? [pages[ownerIndex]] : pages;

    // Warm-up (JIT, the relay's first clone), then the measured bursts.
    await burst(pages, readers, emulatorUrl, (state.seq += 50) - 50, 50, 300);
    const runs = [];
    const errors = [];
    let blockMs = 600;
    let retries = 0;
    while (runs.length < tabRuns) {
      const result = await burst(pages, readers, emulatorUrl, state.seq, tabEvents, blockMs);
      state.seq += tabEvents;
      errors.push(...result.errors);
      if (result.valid) runs.push(result);
      else if ((retries += 1) > 4) throw new Error('the pages never waited for the whole burst');
      else blockMs = Math.max(blockMs * 2, Math.ceil(result.publishMs * 3));
    }
    const byRun = (pick) => median(runs.map(pick));
    const result = {
      sockets,
      messages: byRun((run) => run.messages),
      errors,
      blockMs,
      runs: runs.map((run) => ({ messages: run.messages, publishMs: Math.round(run.publishMs), usPerEvent: run.usPerEvent.map((us) => Number(us.toFixed(1))) })),
    };
    if (share) {
      const members = pages.map((_, index) => index).filter((index) => index !== ownerIndex);
      result.ownerUsPerEvent = byRun((run) => run.usPerEvent[ownerIndex]);
      result.memberUsPerEvent = members.length ? byRun((run) => median(members.map((index) => run.usPerEvent[index]))) : null;
      result.slowestMemberUsPerEvent = members.length ? byRun((run) => Math.max(...members.map((index) => run.usPerEvent[index]))) : null;
      if (members.length) {
        result.hopUs = await hopLatency(pages[ownerIndex], members.map((index) => pages[index]), emulatorUrl, state.seq);
        state.seq += hopEvents;
      }
    } else {
      result.tabUsPerEvent = byRun((run) => median(run.usPerEvent));
      // The same lag between tabs with sockets of their own: what clocks and scheduling add alone.
      if (tabs > 1) {
        result.hopUs = await hopLatency(pages[0], pages.slice(1), emulatorUrl, state.seq);
        state.seq += hopEvents;
      }
    }
    return result;
  } finally {
    await Promise.all(pages.map((page) => page.close()));
    await until('the sockets to close', async () => (await connections(emulatorUrl)) === 0);
  }
}

/** Every N, shared and not, against one emulator, in one headless Chromium context. */
export async function measureTabs(root = repoRoot) {
  const emulator = await startEmulator();
  const browser = await launchBrowser();
  const state = { seq: 0 };
  const rows = [];
  try {
    for (const tabs of tabCounts) {
      const shared = await measureMode(browser, emulator.url, tabs, true, state);
      const unshared = await measureMode(browser, emulator.url, tabs, false, state);
      rows.push({ tabs, shared, unshared });
    }
  } finally {
    await browser.close();
    await emulator.stop();
  }
  return { events: tabEvents, runs: tabRuns, hopEvents, hopSpacingMs, rows, bytes: await tabsScriptBytes(root) };
}

const pad = (text, width) => String(text).padStart(width);
const us = (value) => (value === null || value === undefined ? '—' : value.toFixed(1));

export function printTabs(result) {
  const { events, runs, rows, bytes } = result;
  console.log(`\nSharing across tabs (headless Chromium, one context; ${events} events published in a burst, median of ${runs} runs)`);
  console.log('µs/event: first to last callback in a tab ÷ (E − 1), the tabs reading the server socket held busy while the burst');
  console.log('is published so that the events wait for them; "own socket" is a tab of the unshared run; hop: median lag of a');
  console.log(`member's callback behind the owner's for events ${result.hopSpacingMs} ms apart (unshared: a tab behind another, the`);
  console.log('baseline of clocks and scheduling); the machine\'s load shows in every figure, the ratios are what to compare');
  const header = [
    ['N', 3], ['sockets sh/unsh', 17], ['messages sh/unsh', 18], ['ratio', 7], ['goal', 6],
    ['owner µs', 10], ['member µs', 11], ['mem÷own', 9], ['own socket µs', 15], ['hop µs sh/unsh', 16],
  ];
  console.log(header.map(([name, width]) => pad(name, width)).join(''));
  for (const { tabs, shared, unshared } of rows) {
    const memberRatio = shared.memberUsPerEvent === null ? '—' : `${(shared.memberUsPerEvent / shared.ownerUsPerEvent).toFixed(2)}x`;
    const cells = [
      tabs, `${shared.sockets} / ${unshared.sockets}`, `${shared.messages} / ${unshared.messages}`,
      (shared.messages / unshared.messages).toFixed(3), (1 / tabs).toFixed(3),
      us(shared.ownerUsPerEvent), us(shared.memberUsPerEvent), memberRatio, us(unshared.tabUsPerEvent),
      tabs > 1 ? `${Math.round(shared.hopUs)} / ${Math.round(unshared.hopUs)}` : '—',
    ];
    console.log(cells.map((cell, index) => pad(cell, header[index][1])).join(''));
  }
  const errors = rows.flatMap(({ tabs, shared, unshared }) => [
    ...shared.errors.map((error) => `N=${tabs} shared, ${error}`), ...unshared.errors.map((error) => `N=${tabs} unshared, ${error}`),
  ]);
  for (const error of errors) console.log(`  delivery check failed: ${error}`);
  console.log(`bytes the feature adds to the JS: js/tabs.js minified by esbuild ${bytes.raw} B, ${bytes.gzip} B gzip -9 ` +
    '(imported by the default entry, so also in the size figures above)');
}

/** Delivery checks that failed (missing or duplicated events), for bench/run.mjs's exit code. */
export const tabFailures = (result) => result.rows.flatMap(({ tabs, shared, unshared }) => [
  ...shared.errors.map((error) => `tabs N=${tabs} shared, ${error}`), ...unshared.errors.map((error) => `tabs N=${tabs} unshared, ${error}`),
]);

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await measureTabs();
  printTabs(result);
  if (tabFailures(result).length) process.exitCode = 1;
}
