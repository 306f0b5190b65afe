// Conformance: the official `appwrite` web SDK (npm 28.0.0) is the referee. It runs unmodified in
// headless Chromium on the emulator's origin, and every assertion is on what its callbacks got.
// Expected event and channel lists come from shared/fixtures/event-vectors.json (a real 1.9.6
// server's output). Nothing sleeps for a fixed time: callbacks resolve promises raced with a
// deadline, and "the server has applied my subscribe" is read from the emulator's control surface.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { startEmulator, launchBrowser, root } from './harness.mjs';

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00$/;

let emulator;
let browser;
let otherBrowser; // a second cookie jar, for a second user
let sdkBundle;
let vectors;

before(async () => {
  const [built, fixture] = await Promise.all([
    esbuild.build({
      entryPoints: [join(root, 'e2e/conformance/page-entry.mjs')],
      bundle: true,
      write: false,
      format: 'iife',
      target: 'chrome120',
      logLevel: 'silent',
    }),
    readFile(join(root, '../shared/fixtures/event-vectors.json'), 'utf8'),
  ]);
  sdkBundle = built.outputFiles[0].text;
  vectors = JSON.parse(fixture);
  emulator = await startEmulator();
  [browser, otherBrowser] = await Promise.all([launchBrowser(), launchBrowser()]);
});

after(async () => {
  await Promise.all([browser?.close(), otherBrowser?.close()]);
  await emulator?.stop();
});

/** A page on the emulator's origin with the official SDK loaded as `window.appwrite`. */
async function sdkPage(from = browser) {
  const page = await from.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') console.error(`page console: ${message.text()}`);
  });
  await page.goto(`${emulator.url}/e2e/conformance/blank.html`);
  await page.addScriptTag({ content: sdkBundle });
  return page;
}

/**
 * The fixture vector whose trigger has `shape`, with its example ids renamed (`rename` maps a
 * fixture id segment such as `db1` to the id used here) and, optionally, its action replaced.
 */
function expectedVector(shape, rename, action) {
  const vector = vectors.find((candidate) =>
    Object.entries(shape).every(([key, value]) => candidate.trigger[key] === value));
  assert.ok(vector, `no fixture vector for ${JSON.stringify(shape)}`);
  const fromAction = vector.trigger.action;
  const translate = (name) => name.split('.')
    .map((segment) => rename[segment] ?? (action && segment === fromAction ? action : segment))
    .join('.');
  return { events: vector.events.map(translate), channels: vector.channels.map(translate) };
}

/** Asserts the event frame fields the SDK hands to callbacks against a fixture vector. */
function assertMatchesVector(event, expected, subscriptionId) {
  assert.deepEqual(event.events, expected.events);
  assert.deepEqual([...event.channels].sort(), [...expected.channels].sort());
  assert.match(event.timestamp, TIMESTAMP);
  assert.ok(event.subscriptions.includes(subscriptionId),
    `subscriptions ${JSON.stringify(event.subscriptions)} lack ${subscriptionId}`);
}

test('documents: create, update and delete reach a document channel subscription', async () => {
  const page = await sdkPage();
  const received = await page.evaluate(async () => {
    const { Realtime, Channel, Databases, Permission, Role } = window.appwrite;
    const { inbox, newClient, serverSubscription } = window.conformance;
    const client = newClient();
    const documents = inbox('document channel');
    const channel = Channel.database('db').collection('c').document();
    await new Realtime(client).subscribe(channel, documents.callback);
    const subscription = await serverSubscription('the document channel', (s) =>
      s.channels.includes('databases.db.collections.c.documents'));

    const databases = new Databases(client);
    const readableByAnyone = [Permission.read(Role.any())];
    const created = await databases.createDocument({
      databaseId: 'db', collectionId: 'c', documentId: 'doc1',
      data: { title: 'first', status: 'draft' }, permissions: readableByAnyone,
    });
    await databases.updateDocument({ databaseId: 'db', collectionId: 'c', documentId: 'doc1', data: { title: 'second' } });
    await databases.deleteDocument({ databaseId: 'db', collectionId: 'c', documentId: 'doc1' });
    return { channel: channel.toString(), subscriptionId: subscription.id, created, events: await documents.until(3) };
  });
  await page.close();

  assert.equal(received.channel, 'databases.db.collections.c.documents');
  const rename = { db1: 'db', col1: 'c', doc1: 'doc1' };
  const shape = { kind: 'document', databaseType: 'legacy' };
  const [created, updated, deleted] = received.events;
  assertMatchesVector(created, expectedVector(shape, rename), received.subscriptionId);
  assertMatchesVector(updated, expectedVector(shape, rename, 'update'), received.subscriptionId);
  assertMatchesVector(deleted, expectedVector(shape, rename, 'delete'), received.subscriptionId);

  assert.deepEqual(created.payload, received.created, 'the create payload is the REST response model');
  assert.equal(created.payload.$id, 'doc1');
  assert.equal(created.payload.$collectionId, 'c');
  assert.equal(created.payload.$databaseId, 'db');
  assert.deepEqual(created.payload.$permissions, ['read("any")']);
  assert.match(created.payload.$createdAt, TIMESTAMP);
  assert.equal(typeof created.payload.$sequence, 'string');
  assert.deepEqual([updated.payload.title, updated.payload.status], ['second', 'draft']);
  assert.equal(deleted.payload.$id, 'doc1');
});

test('queries: a filtered subscription skips what the unfiltered witness receives', async () => {
  const page = await sdkPage();
  const received = await page.evaluate(async () => {
    const { Realtime, Channel, Query, Databases, Permission, Role } = window.appwrite;
    const { inbox, newClient, serverSubscription } = window.conformance;
    const client = newClient();
    const realtime = new Realtime(client);
    const channel = Channel.database('db').collection('queried').document();
    const published = inbox('filtered');
    const witness = inbox('witness');
    await realtime.subscribe(channel, published.callback, [Query.equal('status', ['published'])]);
    await realtime.subscribe(channel, witness.callback);
    const filtered = await serverSubscription('the filtered subscription', (s) =>
      s.channels.includes(channel.toString()) && s.queries.length === 1);
    const unfiltered = await serverSubscription('the witness', (s) =>
      s.channels.includes(channel.toString()) && s.id !== filtered.id);

    const databases = new Databases(client);
    for (const [documentId, status] of [['draft1', 'draft'], ['published1', 'published']]) {
      await databases.createDocument({
        databaseId: 'db', collectionId: 'queried', documentId,
        data: { status }, permissions: [Permission.read(Role.any())],
      });
    }
    const witnessed = await witness.until(2);
    return {
      filtered, unfiltered, witnessed,
      // The witness saw the matching document after the other one, on the same socket:
      // anything the filtered subscription would have got is in by now.
      filteredEvents: published.events.slice(),
    };
  });
  await page.close();

  assert.deepEqual(received.filtered.queries,
    ['{"method":"equal","attribute":"status","values":["published"]}']);
  assert.deepEqual(received.witnessed.map((event) => event.payload.$id), ['draft1', 'published1']);
  assert.deepEqual(received.witnessed[0].subscriptions, [received.unfiltered.id]);
  assert.deepEqual(received.filteredEvents.map((event) => event.payload.$id), ['published1']);
  // One frame per connection, listing every subscription of the connection that matched.
  assert.deepEqual([...received.filteredEvents[0].subscriptions].sort(),
    [received.filtered.id, received.unfiltered.id].sort());
});

test('update() and unsubscribe(): new channels, new queries, then no more delivery', async () => {
  const page = await sdkPage();
  const received = await page.evaluate(async () => {
    const { Realtime, Channel, Query, Databases, Permission, Role } = window.appwrite;
    const { inbox, newClient, serverSubscription, serverForgot } = window.conformance;
    const client = newClient();
    const realtime = new Realtime(client);
    const databases = new Databases(client);
    const first = Channel.database('db').collection('first').document();
    const second = Channel.database('db').collection('second').document();
    const create = (collectionId, documentId, status) => databases.createDocument({
      databaseId: 'db', collectionId, documentId, data: { status }, permissions: [Permission.read(Role.any())],
    });
    const changing = inbox('changing');
    const witness = inbox('witness');
    const subscription = await realtime.subscribe(first, changing.callback);
    await realtime.subscribe([first, second], witness.callback);
    const changingOnServer = await serverSubscription('the changing subscription', (s) =>
      s.channels.length === 1 && s.channels[0] === first.toString());
    await serverSubscription('the witness', (s) => s.channels.includes(second.toString()));
    const isChanging = (s) => s.id === changingOnServer.id;

    await subscription.update({ channels: [second] });
    await serverSubscription('the new channel', (s) => isChanging(s) && s.channels.includes(second.toString()));
    await create('second', 'onSecond', 'draft');
    await create('first', 'onFirst', 'draft');
    const afterChannelUpdate = await witness.until(2);

    const published = [Query.equal('status', ['published'])];
    await subscription.update({ queries: published });
    await serverSubscription('the new queries', (s) =>
      isChanging(s) && s.queriesByChannel[second.toString()]?.length === 1);
    await create('second', 'draftOnSecond', 'draft');
    await create('second', 'publishedOnSecond', 'published');
    await witness.until(4);
    const afterQueryUpdate = changing.events.slice(2);

    await subscription.unsubscribe();
    await serverForgot(changingOnServer.id);
    await create('second', 'afterUnsubscribe', 'published');
    await witness.until(5);
    return {
      afterChannelUpdate: afterChannelUpdate.map((event) => event.payload.$id),
      changingAfterChannelUpdate: changing.events.slice(0, 2).map((event) => event.payload.$id),
      afterQueryUpdate: afterQueryUpdate.map((event) => event.payload.$id),
      changingTotal: changing.events.map((event) => event.payload.$id),
      witnessTotal: witness.events.map((event) => event.payload.$id),
    };
  });
  await page.close();

  assert.deepEqual(received.afterChannelUpdate, ['onSecond', 'onFirst']);
  // A 1.9.6 server re-binds an updated id additively (protocol.md §5.4): it still delivers the old
  // channel's events under that id, and the SDK dispatches by id, so the callback gets both.
  assert.deepEqual(received.changingAfterChannelUpdate, ['onSecond', 'onFirst']);
  assert.deepEqual(received.afterQueryUpdate, ['publishedOnSecond']);
  assert.deepEqual(received.changingTotal, ['onSecond', 'onFirst', 'publishedOnSecond']);
  assert.deepEqual(received.witnessTotal,
    ['onSecond', 'onFirst', 'draftOnSecond', 'publishedOnSecond', 'afterUnsubscribe']);
});
