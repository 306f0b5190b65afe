// `npm run bench`: size and speed of this SDK against the official `appwrite` SDK, both measured
// in this run. Prints a table and writes target/bench.json. Figures never fail the run; only a
// broken correctness check (missing callbacks, wrong payload, no BigInt) exits non-zero.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureFirstEvent, printFirstEvent } from './first-event.mjs';
import { firstEventToolFailures, measureFirstEventTools, printFirstEventTools } from './first-event-tools.mjs';
import { measureSizes } from './size.mjs';
import { analyse, summarise } from './wasm-contributors.mjs';
import { measureSpeed, measuredFrames, repeats, warmupFrames } from './speed.mjs';
import { measureTabs, printTabs, tabFailures } from './tabs.mjs';
import { handoverFailures, measureHandovers, printHandovers } from './handover.mjs';
import { liveFailures, measureLive, printLive } from './live.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function ensurePackageBuilt() {
  const files = ['pkg/appwrite_realtime_wasm.js', 'pkg/appwrite_realtime_wasm_bg.wasm'];
  if (files.every((file) => existsSync(join(root, file)))) return;
  console.log('pkg/ is missing: running scripts/build');
  const build = spawnSync('bash', ['scripts/build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const ratio = (ours, official) => `${(ours / official).toFixed(2)}x`;
const pad = (text, width) => String(text).padStart(width);

function printSizes(sizes) {
  const { ours, official } = sizes;
  console.log('\nSize (esbuild --minify; gzip -9 and brotli q11 per file; KB = 1024 bytes)');
  console.log(`${''.padEnd(8)}${pad('ours .js', 12)}${pad('ours .wasm', 12)}${pad('ours total', 12)}${pad('official .js', 14)}${pad('ratio', 8)}`);
  for (const encoding of ['raw', 'gzip', 'brotli']) {
    console.log(
      `${encoding.padEnd(8)}${pad(ours.parts.js[encoding], 12)}${pad(ours.parts.wasm[encoding], 12)}` +
      `${pad(ours.total[encoding], 12)}${pad(official.total[encoding], 14)}${pad(ratio(ours.total[encoding], official.total[encoding]), 8)}`,
    );
  }
  const { inline } = ours;
  console.log(`inline entry (wasm in base64, one file): ${inline.gzip} B gzip, ${inline.brotli} B brotli; ` +
    `+${inline.gzip - ours.total.gzip} B gzip (${ratio(inline.gzip, ours.total.gzip)}) over the default entry and its .wasm`);
  for (const encoding of ['raw', 'gzip', 'brotli']) {
    console.log(`size ${encoding}: ours ${kb(ours.total[encoding])} vs official ${kb(official.total[encoding])} (${ratio(ours.total[encoding], official.total[encoding])})`);
  }
}

/** What the wasm's code bytes are spent on, from the named copy scripts/build keeps. */
function printContributors() {
  const named = join(root, 'target/size/named.wasm');
  if (!existsSync(named)) return;
  const summary = summarise(analyse(readFileSync(named)), 10);
  console.log('\nWasm code bytes (raw, before gzip) per crate, and the largest functions:');
  for (const { crate, bytes } of summary.crates.slice(0, 8)) console.log(`${pad(bytes, 8)}  ${crate}`);
  for (const { name, bytes } of summary.functions) console.log(`${pad(bytes, 8)}  ${name.slice(0, 100)}`);
}

function describeSdk(result) {
  return result.error ? `FAILED (${result.error})` : `${result.usPerFrame.toFixed(2)} µs`;
}

function printSpeed(speed, frameLabel) {
  console.log(`\nDecode+dispatch in headless Chromium (median of ${repeats} runs of ${measuredFrames} frames after ${warmupFrames} warm-up)`);
  console.log('floor = a bare socket listener doing JSON.parse and calling the callback');
  for (const { frame, floor, ours, official } of speed) {
    const label = `decode+dispatch ${frameLabel} ${frame}`;
    const against = (other, name) =>
      other && !other.error && !ours.error ? ` (${ratio(ours.usPerFrame, other.usPerFrame)} of ${name})` : '';
    const floorText = floor ? `, floor ${describeSdk(floor)}` : '';
    console.log(`${label}: ours ${describeSdk(ours)}${against(official, 'official')}${against(floor, 'floor')} vs official ${describeSdk(official)}${floorText}`);
    for (const [sdk, result] of [['floor', floor], ['ours', ours], ['official', official]]) {
      if (!result || result.error) continue;
      const runs = result.runsUs.map((us) => (us / measuredFrames).toFixed(2)).join(' ');
      console.log(`  ${sdk.padEnd(8)} ${pad(Math.round(result.framesPerSecond).toLocaleString('en-US'), 10)} frames/s   ${result.frameBytes} B frame   runs µs/frame: ${runs}`);
    }
  }
  const plain = speed[0].ours;
  const big = speed.find(({ frame }) => frame.includes('2^53'))?.ours;
  const many = speed.find(({ frame }) => frame.includes('1,000'))?.ours;
  if (plain && !plain.error && big && !big.error) console.log(`big-integer frame ÷ plain frame (ours): ${ratio(big.usPerFrame, plain.usPerFrame)}`);
  if (plain && !plain.error && many && !many.error) console.log(`1,000 subscriptions ÷ 1 (ours): ${ratio(many.usPerFrame, plain.usPerFrame)}`);
}

function printLoad(load) {
  console.log('\nLoad to first acknowledged subscription, fake socket, fresh page each (median of runs, ms)');
  console.log(`time to first ack: ours ${load.ours.msMedian.toFixed(1)} ms vs official ${load.official.msMedian.toFixed(1)} ms (${ratio(load.ours.msMedian, load.official.msMedian)})`);
  console.log(`  ours runs ms: ${load.ours.runsMs.join(' ')}   official runs ms: ${load.official.runsMs.join(' ')}`);
}

ensurePackageBuilt();
const sizes = await measureSizes(root);
const { userAgent, frames: speed, load } = await measureSpeed(root);
const firstEvent = await measureFirstEvent(root);
const firstEventTools = await measureFirstEventTools(root, { log: (line) => { if (line.startsWith('build')) console.log(line); } });
const tabs = await measureTabs(root);
const handovers = await measureHandovers();
const live = await measureLive();
const fixtureBytes = (await readFile(join(root, 'bench/fixtures/document-update-frame.json'))).length;
const frameLabel = `${(fixtureBytes / 1024).toFixed(1)} KB`;
const appwriteVersion = JSON.parse(await readFile(join(root, 'node_modules/appwrite/package.json'), 'utf8')).version;

printSizes(sizes);
printContributors();
printSpeed(speed, frameLabel);
printLoad(load);
printFirstEvent(firstEvent);
printFirstEventTools(firstEventTools);
printTabs(tabs);
printHandovers(handovers);
printLive(live);

const report = {
  measuredAt: new Date().toISOString(),
  environment: { node: process.version, userAgent, appwrite: appwriteVersion },
  sizes: {
    ...sizes,
    ratio: Object.fromEntries(['raw', 'gzip', 'brotli'].map((key) => [key, sizes.ours.total[key] / sizes.official.total[key]])),
  },
  speed: {
    warmupFrames, measuredFrames, repeats,
    frames: speed.map(({ frame, floor, ours, official }) => ({
      frame, floor, ours, official,
      ratio: ours.error || official.error ? null : ours.usPerFrame / official.usPerFrame,
      ratioToFloor: !floor || floor.error || ours.error ? null : ours.usPerFrame / floor.usPerFrame,
    })),
    timeToFirstAck: load,
  },
  timeToFirstEvent: firstEvent,
  timeToFirstEventPerTool: firstEventTools,
  tabs,
  handovers,
  live,
};
await mkdir(join(root, 'target'), { recursive: true });
await writeFile(join(root, 'target/bench.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log('\nwritten to target/bench.json');

const failures = speed.flatMap(({ frame, floor, ours, official }) =>
  [['floor', floor], ['ours', ours], ['official', official]].filter(([, result]) => result?.error).map(([sdk, result]) => `${sdk}, ${frame}: ${result.error}`))
  .concat(tabFailures(tabs), handoverFailures(handovers), liveFailures(live), firstEventToolFailures(firstEventTools));
if (failures.length > 0) {
  console.error(`\ncorrectness checks failed:\n  ${failures.join('\n  ')}`);
  process.exitCode = 1;
}
