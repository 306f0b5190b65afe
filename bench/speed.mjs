// Decode+dispatch speed of both SDKs in headless Chromium: each SDK in its own fresh page, fed
// by the in-page fake socket of fake-websocket.js, timed by in-page.js.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launchBrowser } from '../e2e/harness.mjs';
import { officialEntry } from './size.mjs';
import { startStaticServer } from '../e2e/static-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));

export const warmupFrames = 2000;
export const measuredFrames = 20000;
export const repeats = 5;

/** What is measured; `others` subscriptions are live but never addressed by the frames. */
export const frameKinds = [
  { name: 'document update', withBigInt: false, others: 0 },
  { name: 'document update + integer > 2^53', withBigInt: true, others: 0 },
  { name: 'document update, 1 of 1,000 subscriptions matching', withBigInt: false, others: 999 },
];

/** The floor (bare listener + JSON.parse) cannot keep big integers, so it runs plain frames only. */
const sdksFor = (kind) => (kind.withBigInt ? ['ours', 'official'] : ['floor', 'ours', 'official']);
export const loadRuns = 5;

/** The official SDK as a classic script defining `window.Appwrite`, minified as an app ships it. */
async function officialScript(root) {
  const result = await build({
    stdin: { contents: officialEntry, resolveDir: root, loader: 'js' },
    bundle: true, write: false, minify: true, format: 'iife', globalName: 'Appwrite', logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Subscribes with `sdk` in a fresh page, warms up, then times `repeats` runs of the frame. */
async function measureInFreshPage(browser, baseUrl, { sdk, officialBundle, fixtureText, withBigInt, others }) {
  const page = await browser.newPage();
  try {
    await page.addInitScript({ path: join(here, 'fake-websocket.js') });
    await page.goto(`${baseUrl}/bench/page.html`);
    if (sdk === 'official') await page.addScriptTag({ content: officialBundle });
    const expectedId = JSON.parse(fixtureText).data.payload.$id;
    const args = { sdk, fixtureText, withBigInt, others, expectedId, warmupFrames, measuredFrames, repeats };
    const { frameBytes, runsUs, userAgent } = await page.evaluate(async (args) => {
      const bench = await import('/bench/in-page.js');
      const subscribe = { floor: bench.subscribeFloor, ours: bench.subscribeOurs, official: bench.subscribeOfficial }[args.sdk];
      const subscriptionId = await subscribe(args.others);
      const text = bench.frameFor(args.fixtureText, subscriptionId, args.withBigInt);
      await bench.measure(text, args.warmupFrames, args.expectedId, args.withBigInt);
      const runsUs = [];
      for (let run = 0; run < args.repeats; run += 1) {
        runsUs.push(await bench.measure(text, args.measuredFrames, args.expectedId, args.withBigInt));
      }
      return { frameBytes: new TextEncoder().encode(text).length, runsUs, userAgent: navigator.userAgent };
    }, args);
    const usPerFrame = median(runsUs) / measuredFrames;
    return { frameBytes, runsUs: runsUs.map((us) => Math.round(us)), usPerFrame, framesPerSecond: 1e6 / usPerFrame, userAgent };
  } finally {
    await page.close();
  }
}

/**
 * Both SDKs as an app ships them, one minified esbuild bundle each, written under target/ so the
 * static server fetches them like any script; ours keeps its .wasm beside the bundle.
 */
async function writeAppBundles(root, officialBundle) {
  const folder = join(root, 'target/bench-load');
  await mkdir(folder, { recursive: true });
  const ours = await build({
    entryPoints: [join(root, 'pkg/index.js')], bundle: true, write: false, minify: true, format: 'esm', logLevel: 'silent',
  });
  await writeFile(join(folder, 'ours.js'), ours.outputFiles[0].contents);
  await copyFile(join(root, 'pkg/appwrite_realtime_wasm_bg.wasm'), join(folder, 'appwrite_realtime_wasm_bg.wasm'));
  await writeFile(join(folder, 'official.js'), officialBundle);
  return { ours: '/target/bench-load/ours.js', official: '/target/bench-load/official.js' };
}

/** One fresh page: ms from loading `sdk` to its first acknowledged subscription. */
async function timeToFirstAckInFreshPage(browser, baseUrl, sdk, bundleUrl) {
  const page = await browser.newPage();
  try {
    await page.addInitScript({ path: join(here, 'fake-websocket.js') });
    await page.goto(`${baseUrl}/bench/page.html`);
    return await page.evaluate(async ({ sdk, bundleUrl }) => {
      const bench = await import('/bench/in-page.js');
      return bench.timeToFirstAck(sdk, bundleUrl);
    }, { sdk, bundleUrl });
  } finally {
    await page.close();
  }
}

/**
 * The browser's user agent and the results per frame kind; a failed correctness check is recorded
 * as `error` instead of figures.
 */
export async function measureSpeed(root) {
  const fixtureText = await readFile(join(here, 'fixtures/document-update-frame.json'), 'utf8');
  const officialBundle = await officialScript(root);
  const server = await startStaticServer(root);
  const browser = await launchBrowser();
  const results = [];
  const load = {};
  let userAgent = null;
  try {
    for (const kind of frameKinds) {
      const result = { frame: kind.name };
      for (const sdk of sdksFor(kind)) {
        try {
          const { userAgent: pageUserAgent, ...figures } = await measureInFreshPage(browser, server.url, { sdk, officialBundle, fixtureText, ...kind });
          userAgent = pageUserAgent;
          result[sdk] = figures;
        } catch (error) {
          result[sdk] = { error: error.message.split('\n')[0] };
        }
      }
      results.push(result);
    }
    const bundles = await writeAppBundles(root, officialBundle);
    for (const sdk of ['ours', 'official']) {
      const runsMs = [];
      for (let run = 0; run < loadRuns; run += 1) runsMs.push(await timeToFirstAckInFreshPage(browser, server.url, sdk, bundles[sdk]));
      load[sdk] = { msMedian: median(runsMs), runsMs: runsMs.map((ms) => Number(ms.toFixed(1))) };
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return { userAgent, frames: results, load };
}
