// Seeded random sequences of API calls through the JS API (issue 31): a page drives `Realtime`
// with this package's `Client` or the official `appwrite` SDK's, with sharing across tabs off
// (one page, `shareAcrossTabs: false`) or on (two pages of one context, one a member of the
// other's socket). Each step is one operation, or a few issued back to back in one task:
// subscribe (one or two channels, string or builder, with or without a Query filter),
// `update({channels?, queries?})`, `unsubscribe()`, `close()`, `disconnect()`, `setSession`
// (user A, user B or '') and `setJWT` (user A's or ''), `setEndpoint` / `setEndpointRealtime`
// (with and without the `/v1` path, both of which the emulator serves), `setProject` ('demo' or
// 'other', both existing), `upsertPresence`, the legacy `client.subscribe` and its returned
// function (this package's Client only: the official Client's is the official SDK's own
// realtime), a handle used after its subscription ended, a callback that calls the API from
// inside an event (unsubscribes, closes or updates itself, subscribes another, signs in or out,
// disconnects, subscribes the legacy way), a dropped socket (`/_emulator/drop`) and a burst of
// published events.
//
// After every step: no trap (a Rust panic, seen as a `RuntimeError` "unreachable" or a
// wasm-bindgen borrow error, or since the wasm restarts after one, a `RealtimeError` of kind
// `internal` and the status `failed`) in any call, rejection, `onError`,
// `error`/`unhandledrejection` event or console line; no error that is not a `RealtimeError`; `realtime.state.status` one of
// the documented ones; every promise settles; no event reaches a subscription twice, after it
// ended, or outside its channels and filter. Every SEQUENCE_CHECK_EVERY steps and at the end,
// liveness against a model: the emulator must hold exactly the subscriptions the model has live
// (project, user, channels, filter), every page with one must be connected, and one public probe
// per project and channel must reach every live subscription entitled to it, and no other.
//
// SEQUENCE_SEEDS (default 2) seeds of SEQUENCE_STEPS (default 25) steps per configuration run in
// `npm test`; raise them for a longer run (SEQUENCE_SEED_FROM=n starts at seed n instead of 1;
// SEQUENCE_CHECK_EVERY=n checks liveness every n steps, 6 by default). SEQUENCE_SEED=n replays
// seed n; SEQUENCE_CONFIG=name runs one configuration (ours/own, ours/shared, official/own,
// official/shared). A failure prints its seed, its steps, the pages' state and debug logs
// (SEQUENCE_LOG=n lines) and the replay command; SEQUENCE_VERBOSE=1 prints every sequence.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as esbuild from 'esbuild';
import { startEmulator, launchBrowser, browserName, generator, signUp, until, root } from './harness.mjs';

const POSTS = 'databases.main.collections.posts.documents';
const IDEAS = 'databases.main.collections.ideas.documents';
const FILES = 'files';
const CHANNELS = [POSTS, IDEAS, FILES];
const PROJECTS = ['demo', 'other'];
/** A subscription's filter: none, one every published payload matches, one none matches. */
const FILTERS = ['none', 'all', 'nothing'];
/** The documented statuses; `failed` is one too, but it means the wasm trapped. */
const STATUSES = ['idle', 'connecting', 'connected', 'reconnecting', 'closed', 'failed'];
const TRAP = /unreachable|RuntimeError|recursive use of an object|already borrowed|null pointer passed to rust|memory access out of bounds/i;

const CONFIGS = [
  { name: 'ours/own', official: false, sharing: false },
  { name: 'ours/shared', official: false, sharing: true },
  { name: 'official/own', official: true, sharing: false },
  { name: 'official/shared', official: true, sharing: true },
].filter((config) => !process.env.SEQUENCE_CONFIG || config.name === process.env.SEQUENCE_CONFIG);
const seeds = process.env.SEQUENCE_SEED !== undefined
  ? [Number(process.env.SEQUENCE_SEED)]
  : Array.from({ length: Number(process.env.SEQUENCE_SEEDS ?? 2) }, (_, i) => Number(process.env.SEQUENCE_SEED_FROM ?? 1) + i);
const STEPS = Number(process.env.SEQUENCE_STEPS ?? 25);
const CHECK_EVERY = Number(process.env.SEQUENCE_CHECK_EVERY ?? 6);
if (!CONFIGS.length) throw new Error(`SEQUENCE_CONFIG must be one of ours/own, ours/shared, official/own, official/shared`);

const suite = { emulator: undefined, browser: undefined, users: undefined, officialBundle: undefined };
const totals = { sequences: 0, failed: 0, steps: 0, operations: {}, refusals: {}, traps: [], failures: [] };

before(async () => {
  suite.emulator = await startEmulator(['--project', 'demo', '--project', 'other']);
  suite.browser = await launchBrowser();
  suite.users = {
    A: await signUp(suite.emulator.url, 'sequences-a'),
    B: await signUp(suite.emulator.url, 'sequences-b'),
  };
  const built = await esbuild.build({
    stdin: { contents: "export { Client } from 'appwrite';", resolveDir: root },
    bundle: true, write: false, format: 'iife', globalName: 'officialSdk', target: 'chrome120', logLevel: 'silent',
  });
  suite.officialBundle = built.outputFiles[0].text;
});

after(async () => {
  await suite.browser?.close();
  await suite.emulator?.stop();
  const operations = Object.entries(totals.operations).sort(([, a], [, b]) => b - a).map(([name, n]) => `${name} ${n}`).join(', ');
  const refusals = Object.entries(totals.refusals).map(([kind, n]) => `${kind} ${n}`).join(', ') || 'none';
  console.log([
    `sequences (${browserName}): ${totals.sequences} sequences of up to ${STEPS} steps, ${totals.steps} steps, ${totals.failed} failed`,
    `  operations: ${operations}`,
    `  errors reported as RealtimeError (refusals and server errors, by kind): ${refusals}`,
    `  traps: ${totals.traps.length ? totals.traps.join(' | ') : 'none'}`,
    ...totals.failures.map((failure) => `  failed: ${failure}`),
  ].join('\n'));
});

async function control(path, body = {}) {
  const response = await fetch(`${suite.emulator.url}/_emulator/${path}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.ok(response.ok, `${path}: ${response.status}`);
  return response.json();
}

/** Publishes a public event with payload `{ $id: id, kind }` on `channel` of `project`. */
function publish(project, channel, id, kind) {
  const channels = channel === FILES ? [FILES, `buckets.b.files.${id}`] : [channel, `${channel}.${id}`];
  const event = channel === FILES ? `buckets.b.files.${id}.create` : `${channel}.${id}.create`;
  return control('publish', { project, events: [event], channels, roles: ['any'], payload: { $id: id, kind } });
}

const connections = () => fetch(`${suite.emulator.url}/_emulator/connections`).then((response) => response.json());
const short = (channels) => channels.map((channel) => channel.split('.')[3] ?? channel).join('+');

/**
 * The page's side: installs `window.H`, which holds the client, the `Realtime`, every handle,
 * what each subscription may receive, and every error seen. Operations arrive as plain objects
 * (`H.run(ops)` runs them back to back in one task); every promise they return is tracked, and
 * its outcome kept by operation id.
 */
async function pageHarness({ endpoint, official, sharing }) {
  const sdk = await import('/pkg/index.js');
  const { Realtime, Query, Channel, RealtimeError } = sdk;
  const Client = official ? window.officialSdk.Client : sdk.Client;
  const TRAP = /unreachable|RuntimeError|recursive use of an object|already borrowed|null pointer passed to rust|memory access out of bounds/i;
  const builders = {
    'databases.main.collections.posts.documents': () => Channel.database('main').collection('posts').document(),
    'databases.main.collections.ideas.documents': () => Channel.database('main').collection('ideas').document(),
    files: () => Channel.files(),
  };
  const H = {
    subs: {}, legacy: {}, deliveries: [], seen: new Set(), violations: [], errors: [], traps: [], unexpected: [],
    refusals: {}, pending: new Set(), outcomes: {}, armed: null, fired: [],
  };
  window.H = H;
  const note = (where, error) => {
    const text = `${error?.name ?? typeof error}: ${error?.message ?? String(error)}`;
    H.errors.push(`${where}: ${error?.kind ? `[${error.kind} ${error.code}] ` : ''}${text}`);
    // Since the wasm restarts after a trap, one arrives as a RealtimeError of kind `internal`.
    if (TRAP.test(text) || error?.kind === 'internal') H.traps.push(`${where}: ${text}`);
    else if (error instanceof RealtimeError) H.refusals[error.kind] = (H.refusals[error.kind] ?? 0) + 1;
    else H.unexpected.push(`${where}: ${text}`);
  };
  addEventListener('error', (event) => note('window error', event.error ?? { name: 'ErrorEvent', message: event.message }));
  addEventListener('unhandledrejection', (event) => note('unhandled rejection', event.reason));
  H.client = new Client().setEndpoint(endpoint).setProject('demo');
  H.realtime = new Realtime(H.client, sharing ? undefined : { shareAcrossTabs: false });
  H.realtime.onError((error) => note('onError', error));

  const queriesOf = (filter) => ({
    all: [Query.equal('kind', ['probe', 'burst', 'trigger'])],
    nothing: [Query.equal('kind', ['never'])],
  })[filter];
  const channelArg = (channels, form) => {
    const list = channels.map((channel) => (form === 'builder' ? builders[channel]() : channel));
    return list.length === 1 && form !== 'list' ? list[0] : list;
  };
  const allows = ({ channels, filter }, event) => channels.some((channel) => event.channels.includes(channel))
    && (filter === 'none' || (filter === 'all' && ['probe', 'burst', 'trigger'].includes(event.payload.kind)));
  H.callback = (label) => (event) => {
    const id = event.payload?.$id;
    H.deliveries.push([label, id]);
    const key = `${label} ${id}`;
    if (H.seen.has(key)) H.violations.push(`${label} got ${id} twice`);
    H.seen.add(key);
    const sub = H.subs[label] ?? H.legacy[label];
    if (sub.ended) H.violations.push(`${label} got ${id} after it ended`);
    else if (!sub.configs.some((config) => allows(config, event))) {
      H.violations.push(`${label} got ${id} (${event.channels}, ${event.payload.kind}) outside ${JSON.stringify(sub.configs)}`);
    }
    if (H.armed?.label === label && event.payload.kind === 'trigger') {
      const { then } = H.armed;
      H.armed = null;
      H.fired.push(label);
      H.run([then]);
    }
  };
  H.track = (id, promise) => {
    const tracked = Promise.resolve(promise).then(
      () => { H.outcomes[id] = 'ok'; },
      (error) => {
        H.outcomes[id] = `rejected ${error?.kind ?? error?.name}: ${error?.message}`;
        note(`op ${id}`, error);
      },
    ).finally(() => H.pending.delete(tracked));
    H.pending.add(tracked);
  };
  const endAll = () => Object.values(H.subs).forEach((sub) => { sub.ended = true; });
  const ops = {
    subscribe({ id, label, channels, filter, form }) {
      const sub = (H.subs[label] = { configs: [{ channels, filter }], ended: false, handle: null });
      H.track(id, H.realtime.subscribe(channelArg(channels, form), H.callback(label), queriesOf(filter))
        .then((handle) => { sub.handle = handle; }));
    },
    update({ id, label, channels, filter, stale }) {
      const sub = H.subs[label];
      const last = sub.configs[sub.configs.length - 1];
      const config = { channels: channels ?? last.channels, filter: filter ?? last.filter };
      const changes = {};
      if (channels) changes.channels = channels;
      if (filter) changes.queries = queriesOf(filter) ?? [];
      if (!stale) sub.configs.push(config);
      H.track(id, sub.handle.update(changes).then(() => {
        if (!stale) sub.configs = sub.configs.slice(sub.configs.indexOf(config));
      }));
    },
    unsubscribe({ id, label }) {
      H.subs[label].ended = true;
      H.track(id, H.subs[label].handle.unsubscribe());
    },
    close({ id, label }) {
      H.subs[label].ended = true;
      H.track(id, H.subs[label].handle.close());
    },
    disconnect({ id }) {
      endAll();
      H.track(id, H.realtime.disconnect());
    },
    setSession({ value }) { H.client.setSession(value); },
    setJWT({ value }) { H.client.setJWT(value); },
    setEndpoint({ value }) { H.client.setEndpoint(value); },
    setEndpointRealtime({ value }) { H.client.setEndpointRealtime(value); },
    setProject({ value }) { H.client.setProject(value); },
    presence({ id, params }) { H.track(id, H.realtime.upsertPresence(params)); },
    legacySubscribe({ label, channels, filter, form }) {
      H.legacy[label] = { configs: [{ channels, filter }], ended: false };
      H.legacy[label].unsubscribe = H.client.subscribe(channelArg(channels, form), H.callback(label), queriesOf(filter));
    },
    legacyUnsubscribe({ label }) {
      H.legacy[label].ended = true;
      H.legacy[label].unsubscribe();
    },
    arm({ label, then }) { H.armed = { label, then }; },
  };
  H.run = (list) => {
    for (const op of list) {
      try {
        ops[op.name](op);
      } catch (error) {
        H.outcomes[op.id] = `threw ${error?.kind ?? error?.name}: ${error?.message}`;
        note(`op ${op.id} ${op.name}`, error);
      }
    }
  };
  /** What the runner checks after every step. */
  H.report = () => ({
    traps: H.traps, unexpected: H.unexpected, violations: H.violations, pending: H.pending.size,
    status: H.realtime.state.status, state: H.realtime.state,
  });
}

/** The user a page's credentials sign its socket in as (the emulator's user id), or null. */
function userOf(context, creds) {
  if (creds.project !== 'demo') return null; // the demo project's sessions are not the other's
  if (creds.jwt) return context.users[creds.jwt].userId;
  return creds.session ? context.users[creds.session].userId : null;
}

/** What the emulator lists for one subscription: project, user, channels and filter. */
const serverKey = (project, user, channels, filter) => `${project}|${user ?? '-'}|${[...channels].sort().join(',')}|${filter}`;
/** What the emulator stores for a filter: `select("*")` for none, else the queries as sent. */
const filterOf = (queries) => {
  if (queries.some((query) => query.includes('never'))) return 'nothing';
  return queries.some((query) => query.includes('probe')) ? 'all' : 'none';
};

/** The subscriptions the model says the emulator holds, as sorted keys. */
function expectedKeys(context) {
  const keys = [];
  for (const tab of context.tabs) {
    const user = userOf(context, tab.creds);
    for (const sub of tab.subs.values()) {
      if (sub.state === 'live') keys.push(serverKey(tab.creds.project, user, sub.config.channels, sub.config.filter));
    }
    for (const legacy of tab.legacy.values()) keys.push(serverKey(tab.creds.project, user, legacy.channels, legacy.filter));
  }
  return keys.sort();
}

async function actualKeys() {
  const { connections: sockets } = await connections();
  return sockets.flatMap((socket) => socket.subscriptions.map((sub) =>
    serverKey(socket.project, socket.user, sub.channels, filterOf(sub.queries)))).sort();
}

/**
 * The operations: `applies(context, tab)` says when one may be chosen for `tab`, `make` draws its
 * arguments and returns `{ op, text, plan }`: what the page runs, what the history says, and
 * what it does to the model, applied as it is issued (outcomes of promises come later, in
 * `resolve`). `inner` marks those a callback may call.
 */
function operations() {
  const live = (tab) => [...tab.subs.entries()].filter(([, sub]) => sub.state === 'live');
  const issuedCount = (tab) => [...tab.subs.values()].filter((sub) => sub.state !== 'dead').length;
  const drawChannels = (random) => {
    const first = random.pick(CHANNELS);
    if (random.next() < 0.7) return [first];
    return [first, random.pick(CHANNELS.filter((channel) => channel !== first))];
  };
  const newSubscription = (context, tab, random, name) => {
    const label = `${tab.name}${(tab.next += 1)}`;
    const channels = drawChannels(random);
    const filter = random.weighted([[3, 'none'], [2, 'all'], [1, 'nothing']]);
    const form = random.pick(['string', 'builder', 'list']);
    return { label, channels, filter, form, text: `${name} ${label} ${short(channels)} ${filter} (${form})` };
  };
  const setting = (name, value, text, change) => ({
    op: { name, value }, text: `${name} ${text}`, plan: (tab) => Object.assign(tab.creds, change),
  });
  return [
    {
      name: 'subscribe', weight: 5, inner: true, applies: (context, tab) => issuedCount(tab) < 4,
      make(context, tab, random) {
        const { label, channels, filter, form, text } = newSubscription(context, tab, random, 'subscribe');
        const id = context.opId();
        return {
          op: { name: 'subscribe', id, label, channels, filter, form }, text,
          plan: (tab) => tab.subs.set(label, { id, state: 'issued', handle: false, config: { channels, filter }, next: { channels, filter } }),
        };
      },
    },
    {
      name: 'update', weight: 4, inner: true, self: true, applies: (context, tab) => live(tab).length > 0,
      make(context, tab, random, label = random.pick(live(tab))[0]) {
        const sub = tab.subs.get(label);
        const what = random.pick(['channels', 'queries', 'both']);
        const channels = what === 'queries' ? undefined : drawChannels(random);
        const filter = what === 'channels' ? undefined : random.pick(FILTERS);
        const config = { channels: channels ?? sub.next.channels, filter: filter ?? sub.next.filter };
        const id = context.opId();
        return {
          op: { name: 'update', id, label, channels, filter },
          text: `update ${label} to ${channels ? short(channels) : '(channels kept)'} ${filter ?? '(filter kept)'}`,
          plan: (tab) => {
            const target = tab.subs.get(label);
            target.next = config;
            tab.updates.push({ id, label, config });
          },
        };
      },
    },
    {
      name: 'unsubscribe', weight: 2, inner: true, self: true, applies: (context, tab) => live(tab).length > 0,
      make(context, tab, random, label = random.pick(live(tab))[0]) {
        return { op: { name: 'unsubscribe', id: context.opId(), label }, text: `unsubscribe ${label}`, plan: (tab) => { tab.subs.get(label).state = 'dead'; } };
      },
    },
    {
      name: 'close', weight: 2, inner: true, self: true, applies: (context, tab) => live(tab).length > 0,
      make(context, tab, random, label = random.pick(live(tab))[0]) {
        return { op: { name: 'close', id: context.opId(), label }, text: `close ${label}`, plan: (tab) => { tab.subs.get(label).state = 'dead'; } };
      },
    },
    {
      name: 'disconnect', weight: 1, inner: true, applies: () => true,
      make(context) {
        return {
          op: { name: 'disconnect', id: context.opId() }, text: 'disconnect',
          plan: (tab) => { for (const sub of tab.subs.values()) sub.state = 'dead'; },
        };
      },
    },
    {
      name: 'setSession', weight: 3, inner: true, shared: true, applies: (context, tab) => !tab.creds.jwt,
      make(context, tab, random) {
        const user = random.pick(['A', 'B', ''].filter((user) => user !== tab.creds.session));
        return setting('setSession', user ? context.users[user].token : '', user || "''", { session: user });
      },
    },
    {
      name: 'setJWT', weight: 1.5, shared: true, applies: (context, tab) => !tab.creds.session && tab.creds.project === 'demo',
      make(context, tab) {
        const user = tab.creds.jwt ? '' : 'A';
        return setting('setJWT', user ? context.jwt : '', user ? "A's" : "''", { jwt: user });
      },
    },
    {
      name: 'setEndpoint', weight: 1, shared: true, applies: () => true,
      make(context, tab, random) {
        const value = random.pick([`${suite.emulator.url}/v1`, suite.emulator.url]);
        return setting('setEndpoint', value, value.endsWith('/v1') ? '/v1' : '(root)', {});
      },
    },
    {
      name: 'setEndpointRealtime', weight: 1, shared: true, applies: () => true,
      make(context, tab, random) {
        const ws = suite.emulator.url.replace('http://', 'ws://');
        const value = random.pick([`${ws}/v1`, ws]);
        return setting('setEndpointRealtime', value, value.endsWith('/v1') ? 'ws /v1' : 'ws (root)', {});
      },
    },
    {
      name: 'setProject', weight: 1.5, shared: true, applies: (context, tab) => !tab.creds.jwt,
      make(context, tab) {
        const project = tab.creds.project === 'demo' ? 'other' : 'demo';
        return setting('setProject', project, project, { project });
      },
    },
    {
      name: 'presence', weight: 1, inner: true, applies: () => true,
      make(context, tab, random) {
        const params = { status: random.pick(['online', 'away']) };
        if (random.next() < 0.5) params.metadata = { step: context.step };
        if (random.next() < 0.3) params.presenceId = `presence-${tab.name}`;
        return { op: { name: 'presence', id: context.opId(), params }, text: `presence ${JSON.stringify(params)}`, plan: () => {} };
      },
    },
    {
      name: 'legacySubscribe', weight: 1.5, inner: true, applies: (context, tab) => !context.config.official && tab.legacy.size < 2,
      make(context, tab, random) {
        const { label, channels, filter, form, text } = newSubscription(context, tab, random, 'client.subscribe');
        return {
          op: { name: 'legacySubscribe', id: context.opId(), label: `${label}L`, channels, filter, form }, text: `${text} (legacy ${label}L)`,
          plan: (tab) => tab.legacy.set(`${label}L`, { channels, filter }),
        };
      },
    },
    {
      name: 'legacyUnsubscribe', weight: 1, legacySelf: true, applies: (context, tab) => tab.legacy.size > 0,
      make(context, tab, random, label = random.pick([...tab.legacy.keys()])) {
        return { op: { name: 'legacyUnsubscribe', id: context.opId(), label }, text: `legacy unsubscribe ${label}`, plan: (tab) => tab.legacy.delete(label) };
      },
    },
    {
      name: 'stale handle', weight: 1, applies: (context, tab) => [...tab.subs.values()].some((sub) => sub.state === 'dead' && sub.handle),
      make(context, tab, random) {
        const label = random.pick([...tab.subs.entries()].filter(([, sub]) => sub.state === 'dead' && sub.handle))[0];
        const name = random.pick(['update', 'unsubscribe', 'close']);
        const op = { name, id: context.opId(), label, stale: true };
        if (name === 'update') op.channels = [random.pick(CHANNELS)];
        return { op, text: `${name} ${label} (ended)`, plan: () => {} };
      },
    },
  ];
}

/** Faults and stress: not page calls. */
const FAULTS = [
  {
    name: 'drop', weight: 1.5,
    async run(context) {
      const { affected } = await control('drop');
      return `drop (${affected} socket(s))`;
    },
  },
  {
    name: 'burst', weight: 1.5,
    async run(context, random) {
      const count = 10 + Math.floor(random.next() * 30);
      const events = Array.from({ length: count }, (_, i) => [random.pick(PROJECTS), random.pick(CHANNELS), `burst-${context.tag}-${context.step}-${i}`]);
      for (let i = 0; i < events.length; i += 8) await Promise.all(events.slice(i, i + 8).map(([p, c, id]) => publish(p, c, id, 'burst')));
      return `burst of ${count}`;
    },
  },
];

/** Opens a page with the harness installed. */
async function openTab(context, name) {
  const page = await suite.browser.newPage();
  const tab = {
    name, page, console: [], creds: { session: '', jwt: '', project: 'demo' }, subs: new Map(), legacy: new Map(), updates: [], next: 0,
  };
  page.on('console', (message) => tab.console.push(`[${message.type()}] ${message.text()}`));
  page.on('pageerror', (error) => tab.console.push(`[pageerror] ${error.name}: ${error.message}`));
  await page.goto(`${suite.emulator.url}/e2e/conformance/blank.html`);
  if (context.config.official) await page.addScriptTag({ content: suite.officialBundle });
  await page.evaluate(pageHarness, { endpoint: `${suite.emulator.url}/v1`, official: context.config.official, sharing: context.config.sharing });
  return tab;
}

/** Runs `list` (made by `operations()`) in `tab` back to back, applying their plans to the model. */
async function runOps(tab, list) {
  await tab.page.evaluate((ops) => window.H.run(ops), list.map(({ op }) => op));
  for (const { plan } of list) plan(tab);
}

/**
 * Waits until every call in the pages has settled, then applies the outcomes to the model: a
 * subscription resolved is live (unless ended since), an update resolved changes it. A
 * rejection of a call whose subscription the model still has live is a failure.
 */
async function resolve(context) {
  for (const tab of context.tabs) {
    await until(`${tab.name}'s calls to settle`, () => tab.page.evaluate(() => window.H.pending.size === 0));
    const outcomes = await tab.page.evaluate(() => window.H.outcomes);
    for (const [label, sub] of tab.subs) {
      if (sub.state === 'dead' && sub.handle) continue;
      const outcome = outcomes[sub.id];
      if (outcome === undefined) throw new Error(`subscribe of ${label} never settled`);
      if (outcome === 'ok') {
        sub.handle = true;
        if (sub.state === 'issued') sub.state = 'live';
      } else if (sub.state === 'issued') {
        throw new Error(`subscribe of ${label} failed (${outcome}), with nothing in the model to end it`);
      } else {
        sub.handle = false;
      }
    }
    for (const update of tab.updates.splice(0)) {
      const sub = tab.subs.get(update.label);
      if (sub.state !== 'live') continue;
      if (outcomes[update.id] === undefined) throw new Error(`update of ${update.label} never settled`);
      if (outcomes[update.id] === 'ok') sub.config = update.config;
      else throw new Error(`update of live ${update.label} failed (${outcomes[update.id]})`);
    }
  }
}

/** Asserts the step left no trap, no unexpected error, no wrong delivery and a documented status. */
async function checkStep(context) {
  for (const tab of context.tabs) {
    const report = await tab.page.evaluate(() => window.H.report());
    const traps = [...report.traps, ...tab.console.filter((line) => TRAP.test(line))];
    if (report.status === 'failed') traps.push(`state.status is 'failed' (${JSON.stringify(report.state.lastError)})`);
    if (traps.length) {
      context.trapped = traps;
      throw new Error(`TRAP in ${tab.name}: ${traps.join(' | ')}`);
    }
    // Uncaught errors reach the page's own `error` listener; Playwright's `pageerror` also
    // carries Firefox's socket messages ("can't establish a connection"), which are no error.
    assert.deepEqual(report.unexpected, [], `${tab.name}: errors that are not RealtimeErrors`);
    assert.deepEqual(report.violations, [], `${tab.name}: deliveries no subscription may receive`);
    assert.ok(STATUSES.includes(report.status), `${tab.name}: state.status ${JSON.stringify(report.status)} is not documented`);
  }
}

/** Waits until the emulator holds the model's subscriptions and every page with one is connected. */
async function settle(context) {
  await resolve(context);
  const expected = expectedKeys(context);
  let actual = [];
  try {
    await until('the emulator to hold the model\'s subscriptions', async () => {
      actual = await actualKeys();
      return JSON.stringify(actual) === JSON.stringify(expected);
    });
  } catch (error) {
    throw new Error(`${error.message}\n  expected ${JSON.stringify(expected)}\n  actual   ${JSON.stringify(actual)}`);
  }
  for (const tab of context.tabs) {
    if (![...tab.subs.values()].some((sub) => sub.state === 'live')) continue;
    await until(`${tab.name} connected`, () => tab.page.evaluate(() => window.H.realtime.state.status === 'connected'));
  }
}

/**
 * Liveness: one public probe per project and channel; every live subscription (legacy ones
 * too) entitled to one must receive it, and none other may.
 */
async function probe(context) {
  await settle(context);
  context.checks += 1;
  const probes = [];
  for (const project of PROJECTS) {
    for (const channel of CHANNELS) {
      const id = `probe-${context.tag}-${context.step}-${project}-${short([channel])}`;
      await publish(project, channel, id, 'probe');
      probes.push({ id, project, channel });
    }
  }
  for (const tab of context.tabs) {
    const expected = [];
    const entitled = (label, { channels, filter }) => {
      if (filter === 'nothing') return;
      for (const { id, project, channel } of probes) {
        if (project === tab.creds.project && channels.includes(channel)) expected.push(`${label} ${id}`);
      }
    };
    for (const [label, sub] of tab.subs) if (sub.state === 'live') entitled(label, sub.config);
    for (const [label, legacy] of tab.legacy) entitled(label, legacy);
    const ids = probes.map(({ id }) => id);
    let got = [];
    try {
      await until(`${tab.name}'s live subscriptions to receive their probes`, async () => {
        got = await tab.page.evaluate((ids) => window.H.deliveries.filter(([, id]) => ids.includes(id)).map(([l, id]) => `${l} ${id}`), ids);
        return expected.every((key) => got.includes(key));
      });
    } catch (error) {
      throw new Error(`${error.message}\n  missing ${JSON.stringify(expected.filter((key) => !got.includes(key)))}`);
    }
    const stray = got.filter((key) => !expected.includes(key));
    assert.deepEqual(stray, [], `${tab.name}: probes reached subscriptions the model has ended or not entitled`);
  }
}

/**
 * A callback that calls the API: arms a live subscription (one that receives triggers) with an
 * operation, publishes 1 to 3 triggers on its channel, and waits until its callback ran it.
 */
async function reentrant(context, random, all) {
  await settle(context);
  // A subscription's callback, or a legacy one's (which may call the function it was given).
  const candidates = context.tabs.flatMap((tab) => [
    ...[...tab.subs.entries()].filter(([, sub]) => sub.state === 'live' && sub.config.filter !== 'nothing')
      .map(([label, sub]) => [tab, label, sub.config, false]),
    ...[...tab.legacy.entries()].filter(([, legacy]) => legacy.filter !== 'nothing')
      .map(([label, legacy]) => [tab, label, legacy, true]),
  ]);
  if (!candidates.length) return undefined;
  const [tab, label, { channels }, legacy] = random.pick(candidates);
  const inner = all.filter((operation) => (legacy
    ? (operation.inner && !operation.self && operation.applies(context, tab)) || operation.legacySelf
    : operation.inner && operation.applies(context, tab)));
  const operation = random.pick(inner);
  const self = legacy ? operation.legacySelf : operation.self;
  const made = self ? operation.make(context, tab, random, label) : operation.make(context, tab, random);
  const channel = channels[0];
  await tab.page.evaluate(([label, then]) => window.H.run([{ name: 'arm', id: 'arm', label, then }]), [label, made.op]);
  const triggers = 1 + Math.floor(random.next() * 3);
  for (let i = 0; i < triggers; i += 1) await publish(tab.creds.project, channel, `trigger-${context.tag}-${context.step}-${i}`, 'trigger');
  await until(`${label}'s callback to run ${operation.name}`, () => tab.page.evaluate((label) => window.H.fired.includes(label), label));
  made.plan(tab);
  return `${tab.name} in ${label}'s callback (${triggers} trigger(s)): ${made.text}`;
}

async function failureReport(context, history) {
  const replay = `SEQUENCE_SEED=${context.seed} SEQUENCE_CONFIG=${context.config.name} SEQUENCE_STEPS=${STEPS} E2E_BROWSER=${browserName} node --test e2e/sequences.test.mjs`;
  const lines = [`--- sequences (${browserName}) ${context.config.name}, seed ${context.seed} failed at step ${context.step}`, `replay: ${replay}`, ...history];
  for (const tab of context.tabs) {
    const subs = [...tab.subs].map(([label, sub]) => `${label}:${sub.state}:${short(sub.config.channels)}:${sub.config.filter}`);
    lines.push(`${tab.name}: creds ${JSON.stringify(tab.creds)} subs ${subs.join(' ')} legacy ${[...tab.legacy.keys()].join(' ')}`);
    const page = await tab.page.evaluate((logLines) => ({
      state: window.H.realtime.state, errors: window.H.errors.slice(-12), outcomes: Object.entries(window.H.outcomes).slice(-12),
      deliveries: window.H.deliveries.slice(-20).map((delivery) => delivery.join(' ')),
      log: window.H.realtime.debugLog().filter((entry) => entry.type !== 'state').slice(-logLines)
        .map(({ direction, type, detail }) => `${direction} ${type} ${detail}`),
    }), Number(process.env.SEQUENCE_LOG ?? 15)).catch((error) => ({ gone: error.message }));
    const { log = [], deliveries = [], ...rest } = page;
    lines.push(`  page ${JSON.stringify(rest)}`, `  last deliveries: ${deliveries.join(', ')}`, '  debugLog:', ...log.map((line) => `    ${line}`));
    lines.push(...tab.console.slice(-10).map((line) => `  ${line}`));
  }
  const sockets = await connections().catch(() => ({ connections: [] }));
  lines.push(`emulator: ${JSON.stringify(sockets.connections.map((s) => [s.project, s.user, s.subscriptions.map((sub) => `${sub.id} ${short(sub.channels)}`)]))}`);
  return { lines, replay };
}

for (const config of CONFIGS) {
  for (const seed of seeds) {
    test(`${config.name}, seed ${seed}: ${STEPS} random API calls, no trap, the model's subscriptions live`,
      { timeout: 60_000 + STEPS * 20_000 }, async () => {
        const context = {
          config, seed, tag: `${config.name.replace('/', '-')}-${seed}`, users: suite.users, tabs: [], step: 0, checks: 0, trapped: null,
          ops: 0, opId: () => `o${(context.ops += 1)}`,
        };
        const history = [];
        totals.sequences += 1;
        try {
          // The sockets of the sequence before are gone.
          await until('no subscription left at the emulator', async () => (await actualKeys()).length === 0);
          const { jwt } = await fetch(`${suite.emulator.url}/v1/account/jwts`, {
            method: 'POST', headers: { 'X-Appwrite-Project': 'demo', 'X-Appwrite-Session': suite.users.A.token },
          }).then((response) => response.json());
          context.jwt = jwt;
          const random = generator(seed);
          const all = operations();
          // Each page starts with one subscription; with sharing, the second page is a member of
          // the first's socket.
          for (const name of config.sharing ? ['A', 'B'] : ['P']) {
            const tab = await openTab(context, name);
            context.tabs.push(tab);
            const operation = all.find((operation) => operation.name === 'subscribe');
            const made = operation.make(context, tab, random);
            await runOps(tab, [made]);
            history.push(`0. ${name} ${made.text}`);
            await resolve(context);
          }
          if (config.sharing) {
            const roles = await until('one page owning the socket and the other its member', async () => {
              const states = await Promise.all(context.tabs.map((tab) => tab.page.evaluate(() => window.H.realtime.state.sharing)));
              return states.includes('owner') && states.includes('member') && states;
            });
            history.push(`0. sharing: ${roles.join(', ')}`);
          }
          for (let step = 1; step <= STEPS; step += 1) {
            context.step = step;
            // A page (with sharing, the member-to-be B three times out of four), then what to do.
            const tab = context.tabs.length > 1 ? random.weighted([[1, context.tabs[0]], [3, context.tabs[1]]]) : context.tabs[0];
            const kind = random.weighted([[10, 'one'], [2.5, 'batch'], [2, 'reentrant'], ...FAULTS.map((fault) => [fault.weight, fault])]);
            let text;
            if (kind === 'one' || kind === 'batch') {
              const made = [];
              const count = kind === 'one' ? 1 : 2 + Math.floor(random.next() * 2);
              // A batch plans as it goes, so that each call sees what the ones before it did.
              const scratch = { ...tab, creds: { ...tab.creds }, subs: new Map([...tab.subs].map(([l, s]) => [l, { ...s }])), legacy: new Map(tab.legacy), updates: [] };
              for (let i = 0; i < count; i += 1) {
                const choices = all.filter((operation) => operation.applies(context, scratch));
                const operation = random.weighted(choices.map((operation) => [operation.weight, operation]));
                const one = operation.make(context, scratch, random);
                one.plan(scratch);
                made.push(one);
                totals.operations[operation.name] = (totals.operations[operation.name] ?? 0) + 1;
                tab.next = scratch.next;
              }
              await runOps(tab, made);
              text = `${tab.name} ${kind === 'batch' ? `batch [${made.map((one) => one.text).join('; ')}]` : made[0].text}`;
              // With sharing, a settings change goes to the other page too half the time, so that
              // the pages meet in one group again.
              const shared = all.find((operation) => operation.name === made[0].op.name && operation.shared);
              const other = context.tabs.find((candidate) => candidate !== tab);
              if (kind === 'one' && shared && other && shared.applies(context, other) && random.next() < 0.5) {
                await runOps(other, made);
                text += `; ${other.name} the same`;
              }
            } else if (kind === 'reentrant') {
              text = await reentrant(context, random, all);
              totals.operations['callback calls the API'] = (totals.operations['callback calls the API'] ?? 0) + 1;
              text ??= 'callback calls the API: no live subscription to arm';
            } else {
              text = await kind.run(context, random);
              totals.operations[kind.name] = (totals.operations[kind.name] ?? 0) + 1;
            }
            history.push(`${step}. ${text}`);
            await resolve(context);
            await checkStep(context);
            if (step % CHECK_EVERY === 0 || step === STEPS) {
              await probe(context);
              history.push(`   liveness checked: ${expectedKeys(context).length} subscription(s) live`);
              await checkStep(context);
            }
            totals.steps += 1;
          }
          for (const tab of context.tabs) {
            const refusals = await tab.page.evaluate(() => window.H.refusals);
            for (const [kind, n] of Object.entries(refusals)) totals.refusals[kind] = (totals.refusals[kind] ?? 0) + n;
          }
          if (process.env.SEQUENCE_VERBOSE) console.log(`sequences ${config.name} seed ${seed}:\n${history.join('\n')}`);
        } catch (error) {
          totals.failed += 1;
          const { lines, replay } = await failureReport(context, history);
          totals.failures.push(`${config.name} seed ${seed} step ${context.step}: ${error.message.split('\n')[0]} (${replay})`);
          if (context.trapped) totals.traps.push(`${config.name} seed ${seed} step ${context.step}: ${context.trapped.join(' | ')}`);
          console.log(lines.join('\n'));
          throw error;
        } finally {
          await Promise.all(context.tabs.map((tab) => tab.page.close().catch(() => {})));
        }
      });
  }
}
