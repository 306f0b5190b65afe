// Switching from the official SDK: the default entry works with no init() in a page and in Node,
// the official `appwrite` Client drives a subscription, and no argument of any type traps the
// wasm (every export is called with hostile values, then a normal subscribe must still work).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { useEmulatorAndBrowser, root, noBrowser, signUp } from './harness.mjs';

const run = promisify(execFile);
const suite = useEmulatorAndBrowser();
let officialBundle;

before(async () => {
  const built = await esbuild.build({
    stdin: { contents: "import * as appwrite from 'appwrite'; window.appwrite = appwrite;", resolveDir: root },
    bundle: true, write: false, format: 'iife', target: 'chrome120', logLevel: 'silent',
  });
  officialBundle = built.outputFiles[0].text;
});

/** A page on the emulator's origin with the official SDK as `window.appwrite`. */
async function page() {
  const page = await suite.browser.newPage();
  const problems = [];
  page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()); });
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(`${suite.emulator.url}/e2e/conformance/blank.html`);
  await page.addScriptTag({ content: officialBundle });
  return { page, problems };
}

async function createPost(title) {
  const response = await fetch(`${suite.emulator.url}/v1/databases/main/collections/posts/documents`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Appwrite-Project': 'demo' },
    body: JSON.stringify({ documentId: 'unique()', data: { title }, permissions: ['read("any")'] }),
  });
  assert.equal(response.status, 201);
  return (await response.json()).$id;
}

/** Polls the emulator's connections until `found` accepts them (at most 5 s); returns them. */
async function connectionsUntil(found, what) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const { connections } = await fetch(`${suite.emulator.url}/_emulator/connections`).then((r) => r.json());
    if (found(connections)) return connections;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}: ${JSON.stringify(connections)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('the default entry initialises itself: import, build a client, subscribe, receive', async () => {
  const { page: tab, problems } = await page();
  const endpoint = `${suite.emulator.url}/v1`;
  await tab.evaluate(async (endpoint) => {
    const { Client, Realtime, Channel } = await import('/pkg/index.js');
    const client = new Client().setEndpoint(endpoint).setProject('demo'); // no init() anywhere
    window.received = new Promise((resolve) => {
      window.subscribed = new Realtime(client).subscribe(
        Channel.database('main').collection('posts').document(), (event) => resolve(event));
    });
    await window.subscribed;
  }, endpoint);
  const id = await createPost('zero-config');
  const event = await tab.evaluate(() => window.received);
  assert.equal(event.payload.$id, id);
  assert.deepEqual(problems, []);
  await tab.close();
});

test("the official SDK's Client drives a subscription, and its setSession is honoured", async () => {
  const { page: tab, problems } = await page();
  const endpoint = `${suite.emulator.url}/v1`;
  const { userId, token } = await signUp(suite.emulator.url, 'drop-in');
  await tab.evaluate(async ({ endpoint, token }) => {
    const { Realtime } = await import('/pkg/index.js');
    const { Client, Channel, Query } = window.appwrite;
    window.official = new Client().setEndpoint(endpoint).setProject('demo');
    window.realtime = new Realtime(window.official);
    window.events = [];
    window.subscription = await window.realtime.subscribe(
      Channel.database('main').collection('posts').document(),
      (event) => window.events.push(event),
      [Query.equal('title', ['official client'])],
    );
    window.official.setSession(token);
  }, { endpoint, token });

  await createPost('not this one');
  const id = await createPost('official client');
  await tab.waitForFunction(() => window.events.length > 0, null, { timeout: 5_000 });
  const payloads = await tab.evaluate(() => window.events.map((event) => event.payload.$id));
  assert.deepEqual(payloads, [id], 'the official Query filtered the events');

  // The next subscription change reads the official client again and authenticates in-band.
  await tab.evaluate(() => window.subscription.update({ channels: ['account'] }));
  const { connections } = await fetch(`${suite.emulator.url}/_emulator/connections`).then((r) => r.json());
  assert.ok(connections.some((connection) => connection.user === userId),
    `no connection of user ${userId}: ${JSON.stringify(connections.map((c) => c.user))}`);
  assert.deepEqual(problems, []);
  await tab.close();
});

test("the official Client's setSession reaches the open socket at once: a private event 200 ms later arrives", async () => {
  const { page: tab, problems } = await page();
  const endpoint = `${suite.emulator.url}/v1`;
  const { userId, token } = await signUp(suite.emulator.url, 'official-at-once');
  const configBefore = await tab.evaluate(async (endpoint) => {
    const { Realtime } = await import('/pkg/index.js');
    const { Client, Channel } = window.appwrite;
    window.official = new Client().setEndpoint(endpoint).setProject('demo');
    const configBefore = JSON.stringify(window.official.config);
    // A heartbeat far away: only the watch on `client.config` can bring the session in time.
    window.realtime = new Realtime(window.official, { heartbeatInterval: 60_000 });
    window.events = [];
    await window.realtime.subscribe(Channel.database('main').collection('posts').document(),
      (event) => window.events.push(event.payload.$id));
    return configBefore;
  }, endpoint);
  await tab.evaluate((token) => { window.official.setSession(token); }, token);
  await new Promise((resolve) => setTimeout(resolve, 200));
  // A private event: for the user's role alone, so a guest socket never sees it.
  const channel = 'databases.main.collections.posts.documents';
  const { delivered } = await fetch(`${suite.emulator.url}/_emulator/publish`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      project: 'demo', events: [`${channel}.private.create`], channels: [channel, `${channel}.private`],
      roles: [`user:${userId}`], payload: { $id: 'private' },
    }),
  }).then((response) => response.json());
  assert.equal(delivered, 1, 'the socket is the user\'s 200 ms after setSession');
  await tab.waitForFunction(() => window.events.length > 0, null, { timeout: 5_000 });
  assert.deepEqual(await tab.evaluate(() => window.events), ['private']);

  // `config` behaves as before for the official SDK: the same members and values, and its own
  // REST calls, which read it, still work; once the connection is gone, plain properties again.
  const after = await tab.evaluate(async () => {
    const { config } = window.official;
    const seen = { json: JSON.stringify({ ...config, session: '' }), session: config.session };
    seen.user = (await new window.appwrite.Account(window.official).get()).$id;
    window.official.setProject('demo');
    await window.realtime.disconnect();
    window.realtime.free();
    seen.plain = ['endpoint', 'endpointRealtime', 'project', 'session', 'jwt']
      .every((key) => 'value' in Object.getOwnPropertyDescriptor(config, key));
    seen.kept = config.session === seen.session && config.project === 'demo';
    return seen;
  });
  assert.equal(after.json, configBefore);
  assert.equal(after.session, token);
  assert.equal(after.user, userId);
  assert.ok(after.plain, 'the settings are plain properties again');
  assert.ok(after.kept, 'with their values');
  assert.deepEqual(problems, []);
  await tab.close();
});

test("this package's Client: the official config shape, setSession at once, and the legacy subscribe", async () => {
  const { page: tab, problems } = await page();
  const endpoint = `${suite.emulator.url}/v1`;
  const { userId, token } = await signUp(suite.emulator.url, 'own-client');
  const config = await tab.evaluate(async ({ endpoint, token }) => {
    const { Client, Realtime, Channel } = await import('/pkg/index.js');
    window.client = new Client().setEndpoint(endpoint).setProject('demo');
    const channel = Channel.database('main').collection('posts').document();
    window.realtime = new Realtime(window.client);
    await window.realtime.subscribe('account', () => {});
    window.legacyEvents = [];
    window.unsubscribe = window.client.subscribe(channel, (event) => window.legacyEvents.push(event));
    window.client.setSession(token);
    return { ...window.client.config };
  }, { endpoint, token });
  assert.equal(config.project, 'demo');
  assert.equal(config.endpointRealtime, endpoint.replace('http://', 'ws://'));

  // No subscription changes: the session reaches the open socket because the client told it.
  await connectionsUntil((connections) => connections.some((connection) => connection.user === userId),
    `a connection of user ${userId}`);
  // The legacy API has no promise to await: wait until the server holds its subscription.
  const posts = 'databases.main.collections.posts.documents';
  await connectionsUntil((connections) => connections.some((connection) =>
    connection.subscriptions.some((subscription) => subscription.channels.includes(posts))), 'the legacy subscription');

  const id = await createPost('legacy subscribe');
  await tab.waitForFunction(() => window.legacyEvents.length > 0, null, { timeout: 5_000 });
  assert.deepEqual(await tab.evaluate(() => window.legacyEvents.map((event) => event.payload.$id)), [id]);
  await tab.evaluate(() => { window.unsubscribe(); return window.realtime.disconnect(); });
  assert.deepEqual(problems, []);
  await tab.close();
});

test('no export traps on hostile arguments, and the module works afterwards', { timeout: 120_000 }, async () => {
  const { page: tab, problems } = await page();
  const report = await tab.evaluate(async (endpoint) => {
    const sdk = await import('/pkg/index.js');
    const { Client, Realtime, Channel, Query, RealtimeError } = sdk;
    const hostile = [undefined, null, 0, 5, -1.5, NaN, Infinity, 12n, true, {}, [], [[]], { toString: 5 },
      { toString() { throw new Error('boom'); } }, Symbol('s'), () => {}, 'x'.repeat(1 << 20), ''];
    const outcomes = { returned: 0, realtimeErrors: 0, rejected: 0, other: [] };
    const record = async (label, call) => {
      try {
        const value = call();
        if (value instanceof Promise) {
          await value.then(() => { outcomes.returned++; }, (error) => {
            if (error instanceof RealtimeError) outcomes.rejected++;
            else outcomes.other.push(`${label}: rejected ${error}`);
          });
        } else {
          outcomes.returned++;
        }
      } catch (error) {
        if (error instanceof RealtimeError) outcomes.realtimeErrors++;
        else outcomes.other.push(`${label}: ${error?.name}: ${error?.message}`);
      }
    };
    const client = new Client().setEndpoint(endpoint).setProject('demo');
    const realtime = new Realtime(client, { heartbeatInterval: 60_000 });
    const database = Channel.database('main');
    const collection = database.collection('posts');
    const document = collection.document();
    for (const value of hostile) {
      for (const name of ['setEndpoint', 'setEndpointRealtime', 'setProject', 'setSession', 'setJWT']) {
        await record(`Client.${name}`, () => new Client()[name](value));
      }
      await record('Client.subscribe', () => new Client().setProject('demo').subscribe(value, value, value));
      await record('new Realtime', () => new Realtime(value, value));
      await record('new Realtime(client, options)', () => new Realtime(client, value));
      await record('Realtime.subscribe(channels)', () => realtime.subscribe(value, () => {}));
      await record('Realtime.subscribe(callback)', () => realtime.subscribe('files', value));
      await record('Realtime.subscribe(queries)', () => realtime.subscribe('files', () => {}, value));
      await record('Realtime.upsertPresence', () => realtime.upsertPresence(value));
      await record('Realtime.upsertPresence(fields)',
        () => realtime.upsertPresence({ status: value, presenceId: value, permissions: value, metadata: value }));
      for (const name of ['onOpen', 'onClose', 'onError', 'onResync']) {
        await record(`Realtime.${name}`, () => realtime[name](value));
      }
      for (const name of ['database', 'tablesdb', 'bucket', 'function', 'execution', 'team', 'membership', 'presence']) {
        await record(`Channel.${name}`, () => Channel[name](value));
      }
      for (const step of [database, collection, document]) {
        for (const name of ['collection', 'document', 'table', 'row', 'file']) {
          await record(`Channel#${name}`, () => step[name](value));
        }
      }
      for (const name of ['equal', 'notEqual', 'lessThan', 'lessThanEqual', 'greaterThan', 'greaterThanEqual']) {
        await record(`Query.${name}`, () => Query[name](value, value));
        await record(`Query.${name}(values)`, () => Query[name]('a', value));
      }
      for (const name of ['isNull', 'isNotNull', 'select', 'and', 'or', 'orderAsc', 'orderDesc', 'limit', 'offset', 'cursorAfter', 'cursorBefore']) {
        await record(`Query.${name}`, () => Query[name](value));
      }
    }
    // Documented coercions, as the official SDK's String() gives them.
    const coerced = [
      Channel.database(5).toString(),
      Channel.team(12n).toString(),
      Query.equal(7, [1]),
    ];
    // The same module instance still subscribes normally.
    const events = [];
    const subscription = await realtime.subscribe(document, (event) => events.push(event));
    await subscription.unsubscribe();
    await realtime.disconnect();
    return { outcomes, coerced };
  }, `${suite.emulator.url}/v1`);

  assert.deepEqual(report.outcomes.other, [], 'every failure is a RealtimeError');
  assert.ok(report.outcomes.realtimeErrors + report.outcomes.rejected > 500,
    `hostile values were refused: ${JSON.stringify(report.outcomes)}`);
  assert.deepEqual(report.coerced, ['databases.5', 'teams.12', '{"method":"equal","attribute":"7","values":[1]}']);
  assert.deepEqual(problems.filter((text) => !/RealtimeError/.test(text)), []);
  await tab.close();
});

test("the REST-only queries are refused at subscribe and update with the server's text, and no frame carries them", async () => {
  const { page: tab, problems } = await page();
  const outcome = await tab.evaluate(async (endpoint) => {
    const { default: ready, Client, Realtime, Channel, Query, RealtimeError } = await import('/pkg/index.js');
    await ready();
    const realtime = new Realtime(new Client().setEndpoint(endpoint).setProject('demo'));
    const errors = [];
    realtime.onError((error) => errors.push(error.message));
    const outcome = (promise) => promise.then(() => 'accepted', (error) =>
      (error instanceof RealtimeError ? { kind: error.kind, code: error.code, message: error.message } : String(error)));
    const channel = Channel.database('main').collection('posts').document();
    const restOnly = {
      limit: Query.limit(1), offset: Query.offset(0), orderAsc: Query.orderAsc('x'), orderDesc: Query.orderDesc('x'),
      cursorAfter: Query.cursorAfter('abc'), cursorBefore: Query.cursorBefore('abc'),
    };
    const subscribe = {};
    const nested = {};
    for (const [method, query] of Object.entries(restOnly)) {
      subscribe[method] = await outcome(realtime.subscribe(channel, () => {}, [Query.equal('a', 1), query]));
      nested[method] = await outcome(realtime.subscribe(channel, () => {}, [Query.or([Query.isNull('a'), query])]));
    }
    const subscription = await realtime.subscribe(channel, () => {});
    const update = await outcome(subscription.update({ queries: [Query.orderAsc('x')] }));
    const sent = realtime.debugLog().filter((entry) => entry.direction === 'out' && entry.type === 'subscribe').map((entry) => entry.detail);
    await realtime.disconnect();
    return { subscribe, nested, update, sent, errors };
  }, `${suite.emulator.url}/v1`);

  const allowed = 'equal, notEqual, lessThan, lessThanEqual, greaterThan, greaterThanEqual, isNull, isNotNull, and, or, select';
  const refused = (index, method) => ({
    kind: 'invalid',
    code: 1003,
    message: `query ${index}: Invalid query: Query method '${method}' is not supported in Realtime queries. Allowed query methods are: ${allowed}`,
  });
  for (const method of ['limit', 'offset', 'orderAsc', 'orderDesc', 'cursorAfter', 'cursorBefore']) {
    assert.deepEqual(outcome.subscribe[method], refused(1, method), method);
    assert.deepEqual(outcome.nested[method], refused(0, method), `${method} inside or`);
  }
  assert.deepEqual(outcome.update, refused(0, 'orderAsc'));
  assert.equal(outcome.sent.length, 1, `only the valid subscription went out: ${JSON.stringify(outcome.sent)}`);
  assert.match(outcome.sent[0], / with 0 queries$/);
  assert.deepEqual(outcome.errors, [], 'each refusal was the caller\'s to hear');
  assert.deepEqual(problems, []);
  await tab.close();
});

test('Node imports the package by name with no init(), as server-side rendering does', { skip: noBrowser }, async () => {
  const project = await mkdtemp(join(tmpdir(), 'node-import-'));
  try {
    await mkdir(join(project, 'node_modules'));
    await symlink(join(root, 'pkg'), join(project, 'node_modules/appwrite-realtime-wasm'), 'dir');
    const script = `
      import { Client, Realtime, Channel, Query } from 'appwrite-realtime-wasm';
      const client = new Client().setEndpoint('http://127.0.0.1:1/v1').setProject('demo');
      const realtime = new Realtime(client);
      const channel = Channel.tablesdb('db').table('t').row().toString();
      const failure = await realtime.subscribe(channel, () => {}).catch((error) => error.kind);
      console.log(JSON.stringify([channel, Query.isNull('a'), failure]));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project });
    assert.deepEqual(JSON.parse(stdout), ['tablesdb.db.tables.t.rows', '{"method":"isNull","attribute":"a"}', 'environment']);
  } finally {
    await rm(project, { recursive: true, force: true });
  }
});
