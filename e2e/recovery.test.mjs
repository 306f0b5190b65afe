// Recovery from a wasm trap (issue 31): a test build (target/trap-pkg, scripts/build with
// FEATURES=trap-injection, which scripts/test makes) exports `trapNextCall()`, which makes the
// next subscription or inbound frame panic inside the engine, leaving the instance as a real bug
// would. After the trap, the tab's `Realtime`s must read `failed`, report a RealtimeError of kind
// `internal`, and come back on a new instance with their subscriptions, legacy subscriptions,
// presence and listeners, followed by `onResync`; a second trap within a minute stops that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useEmulatorAndBrowser, root, noBrowser, signUp, until } from './harness.mjs';
import { startStaticServer } from './static-server.mjs';

const suite = useEmulatorAndBrowser();
const POSTS = 'databases.main.collections.posts.documents';
const IDEAS = 'databases.main.collections.ideas.documents';
const trapPackage = join(root, 'target/trap-pkg');

async function control(path, body) {
  const response = await fetch(`${suite.emulator.url}/_emulator/${path}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.ok(response.ok, `${path}: ${response.status}`);
}

const publish = (channel, id) => control('publish', {
  project: 'demo', events: [`${channel}.${id}.create`], channels: [channel], roles: ['any'], payload: { $id: id },
});

const connections = () => fetch(`${suite.emulator.url}/_emulator/connections`).then((response) => response.json());

/**
 * A page of the trap build (served over the repository, beside the emulator), with one
 * `Realtime` whose events, errors, states and resyncs are kept in `window.seen`.
 */
async function openPage(server, options, session = '') {
  assert.ok(existsSync(join(trapPackage, 'index.js')), 'target/trap-pkg is missing: FEATURES=trap-injection PKG_DIR=target/trap-pkg bash scripts/build');
  const page = await suite.browser.newPage();
  const log = [];
  page.on('console', (message) => log.push(`[${message.type()}] ${message.text()}`));
  page.log = log;
  await page.goto(`${server.url}/e2e/conformance/blank.html`);
  await page.evaluate(async ([endpoint, options, session]) => {
    const { Client, Realtime } = await import('/target/trap-pkg/index.js');
    const glue = await import('/target/trap-pkg/appwrite_realtime_wasm.js');
    window.trapNextCall = () => glue.trapNextCall();
    window.client = new Client().setEndpoint(endpoint).setProject('demo').setSession(session);
    window.realtime = new Realtime(window.client, options);
    const seen = (window.seen = { events: [], errors: [], states: [], resyncs: 0, thrown: [] });
    window.onerror = (message) => seen.thrown.push(String(message));
    window.onunhandledrejection = (event) => seen.thrown.push(String(event.reason));
    window.realtime.onError((error) => seen.errors.push({ kind: error.kind, message: error.message }));
    window.realtime.onStateChange((state) => seen.states.push(state.status));
    window.realtime.onResync(() => { seen.resyncs += 1; });
    window.take = (label) => (event) => seen.events.push(`${label}:${event.payload.$id}`);
  }, [`${suite.emulator.url}/v1`, options, session]);
  return page;
}

const seen = (page) => page.evaluate(() => window.seen);

/** Resolves once the emulator holds a subscription to each of `channels`. */
const subscribed = (channels) => until(`subscriptions to ${channels}`, async () => {
  const held = (await connections()).connections.flatMap((connection) => connection.subscriptions.flatMap((row) => row.channels));
  return channels.every((channel) => held.includes(channel));
});

/** Publishes probe `id` on both channels until `labels` each got it once; returns what the page saw. */
async function probe(page, id, labels, channels = labels.includes('ideas') ? [POSTS, IDEAS] : [POSTS]) {
  await subscribed(channels).catch(async (error) => {
    error.message += ` (probe ${id})\nseen: ${JSON.stringify(await seen(page))}\nconsole: ${page.log.join('\n')}\nemulator: ${JSON.stringify(await connections())}`;
    throw error;
  });
  await publish(POSTS, id);
  await publish(IDEAS, id);
  return until(`${labels.join(', ')} to get ${id}`, async () => {
    const { events } = await seen(page);
    return labels.every((label) => events.includes(`${label}:${id}`)) && events;
  }).catch(async (error) => {
    error.message += `\nseen: ${JSON.stringify(await seen(page))}\nconsole: ${page.log.join('\n')}`;
    throw error;
  });
}

const subscribeBoth = (page) => page.evaluate(async ([posts, ideas]) => {
  window.posts = await window.realtime.subscribe(posts, window.take('posts'));
  window.stopIdeas = window.client.subscribe(ideas, window.take('ideas'));
}, [POSTS, IDEAS]);

for (const sharing of [false, true]) {
  const options = { shareAcrossTabs: sharing };
  const name = sharing ? 'sharing' : 'not sharing';

  test(`a trap on an inbound frame: the tab reads failed, then has its subscriptions back (${name})`, async () => {
    const server = await startStaticServer(root);
    try {
      const user = await signUp(suite.emulator.url, 'recovery');
      const page = await openPage(server, options, user.token);
      await subscribeBoth(page);
      await page.evaluate(() => window.realtime.upsertPresence({ status: 'online' }));
      await probe(page, 'before', ['posts', 'ideas']);
      const sockets = (await connections()).total;
      await page.evaluate(() => window.trapNextCall());
      await publish(POSTS, 'trapped');
      await until('the restart\'s resync', async () => (await seen(page)).resyncs === 1);

      const after = await seen(page);
      assert.equal(after.errors.length, 1, JSON.stringify(after.errors));
      assert.equal(after.errors[0].kind, 'internal');
      assert.match(after.errors[0].message, /internal error/);
      assert.ok(after.states.includes('failed'), `states: ${after.states}`);
      assert.equal(after.states.at(-1), 'connected', `states: ${after.states}`);
      const state = await page.evaluate(() => window.realtime.state);
      assert.equal(state.status, 'connected');
      assert.equal(await page.evaluate(() => window.realtime.stats().recoveries), 1);
      const log = await page.evaluate(() => window.realtime.debugLog());
      const trapAt = log.findIndex((entry) => entry.type === 'trap');
      assert.ok(trapAt > 0, 'the log has the trap');
      assert.ok(log.slice(0, trapAt).some((entry) => entry.type === 'call' && entry.detail.startsWith('subscribe [')),
        'the log keeps the calls before the trap');

      // The trapped engines' sockets are gone, and every subscription gets each event once.
      await until(`${sockets} sockets, as before`, async () => (await connections()).total === sockets);
      const events = await probe(page, 'restored', ['posts', 'ideas']);
      assert.equal(events.filter((event) => event.endsWith(':restored')).length, 2, events.join(' '));
      // The handles work on the new engine.
      await page.evaluate(async (ideas) => { await window.posts.update({ channels: [ideas] }); }, IDEAS);
      const updated = await probe(page, 'updated', ['posts', 'ideas'], [IDEAS]);
      assert.deepEqual(updated.filter((event) => event.endsWith(':updated')).sort(), ['ideas:updated', 'posts:updated']);
      await page.evaluate(async () => {
        await window.posts.unsubscribe();
        window.stopIdeas();
        await window.realtime.disconnect(); // the presence
      });
      // A shared socket keeps a presence until it closes (README: the protocol has no delete).
      await until('no subscription or presence left', async () => (await connections()).connections
        .every((connection) => !connection.subscriptions.length && (sharing || !connection.presences.length)));
      assert.deepEqual((await seen(page)).thrown, []);
    } finally {
      await server.close();
    }
  });
}

test('a trap in a call: the subscription it made is restored, and its promise resolves', async () => {
  const server = await startStaticServer(root);
  try {
    const page = await openPage(server, { shareAcrossTabs: false });
    await page.evaluate(async (posts) => {
      window.first = await window.realtime.subscribe(posts, window.take('first'));
      window.trapNextCall();
      window.second = await window.realtime.subscribe(posts, window.take('second'));
    }, POSTS);
    const after = await seen(page);
    assert.equal(after.errors[0]?.kind, 'internal', JSON.stringify(after.errors));
    await probe(page, 'both', ['first', 'second']);
    assert.equal(await page.evaluate(() => window.realtime.stats().recoveries), 1);
  } finally {
    await server.close();
  }
});

test('a second trap within a minute: no restart, and the tab says so', async () => {
  const server = await startStaticServer(root);
  try {
    const page = await openPage(server, { shareAcrossTabs: false });
    await subscribeBoth(page);
    await probe(page, 'before', ['posts', 'ideas']);
    await page.evaluate(() => window.trapNextCall());
    await publish(POSTS, 'first-trap');
    await until('the restart', async () => (await seen(page)).resyncs === 1);
    await page.evaluate(() => window.trapNextCall());
    await publish(POSTS, 'second-trap');
    const after = await until('the second error', async () => {
      const now = await seen(page);
      return now.errors.length === 2 && now;
    });
    assert.match(after.errors[1].message, /not restarted again/);
    assert.equal((await page.evaluate(() => window.realtime.state)).status, 'failed');
    const refused = await page.evaluate((posts) => window.realtime.subscribe(posts, () => {}).then(() => 'subscribed', (error) => error.kind), POSTS);
    assert.equal(refused, 'internal');
    await until('no socket', async () => (await connections()).total === 0);
  } finally {
    await server.close();
  }
});

test('a listener that calls back into the engine is no trap', async () => {
  const server = await startStaticServer(root);
  try {
    const page = await openPage(server, { shareAcrossTabs: false });
    await page.evaluate(async (posts) => {
      await window.realtime.subscribe(posts, window.take('posts'));
      // A page entering the back-forward cache changes the state from inside the engine's
      // handler of page events; the listener's write to a client setting calls that handler again.
      window.realtime.onStateChange((state) => {
        window.seen.events.push(`state:${state.status}`);
        try {
          window.client.setJWT('');
        } catch (error) {
          window.seen.thrown.push(String(error));
        }
      });
      window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
    }, POSTS);
    await until('a state change', async () => (await seen(page)).events.some((event) => event.startsWith('state:')));
    await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true })));
    await probe(page, 'after', ['posts']);
    const after = await seen(page);
    assert.ok(after.events.some((event) => event.startsWith('state:')), after.events.join(' '));
    assert.deepEqual(after.errors, []);
    assert.deepEqual(after.thrown, []);
    assert.equal(await page.evaluate(() => window.realtime.stats().recoveries), 0);
  } finally {
    await server.close();
  }
});

test('the shipped package has no way to inject a trap', { skip: noBrowser }, () => {
  const glue = readFileSync(join(root, 'pkg/appwrite_realtime_wasm.js'), 'utf8');
  assert.ok(!glue.includes('trapNextCall'), 'pkg/ exports trapNextCall');
  assert.ok(readFileSync(join(trapPackage, 'appwrite_realtime_wasm.js'), 'utf8').includes('trapNextCall'), 'the test build has it');
});
