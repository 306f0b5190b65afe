// Conformance: the official `appwrite` web SDK (npm 28.0.0) is the referee. It runs unmodified in
// headless Chromium (on the emulator's origin unless a test needs another), and every assertion
// is on what its callbacks got. Expected event and channel lists come from
// the vendored copy of shared/fixtures/event-vectors.json (a 1.9.6 server's output, in order). Nothing
// sleeps for a fixed time: callbacks resolve promises raced with a deadline, and "the server has
// applied my subscribe" is read from the emulator's control surface.
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
    readFile(join(root, 'crates/emulator/tests/fixtures/event-vectors.json'), 'utf8'),
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

/**
 * A page with the official SDK loaded as `window.appwrite`, on the emulator's origin unless
 * `origin` names another one (that still reaches the emulator).
 */
async function sdkPage(from = browser, origin = emulator.url) {
  const page = await from.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') console.error(`page console: ${message.text()}`);
  });
  await page.goto(`${origin}/e2e/conformance/blank.html`);
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
  assert.deepEqual(event.channels, expected.channels); // order too, as a 1.9.6 server emits them
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

/** Signs a new user up and in through the official SDK on `page`; resolves with ids and storage. */
function signUpAndIn(page, name) {
  return page.evaluate(async (name) => {
    const { Account, ID } = window.appwrite;
    const account = new Account(window.conformance.newClient());
    const email = `${name}-${Date.now()}@example.com`;
    const password = 'password123';
    const user = await account.create({ userId: ID.unique(), email, password, name });
    const session = await account.createEmailPasswordSession({ email, password });
    const me = await account.get();
    return { userId: user.$id, sessionUserId: session.userId, meId: me.$id,
      cookieFallback: localStorage.getItem('cookieFallback') };
  }, name);
}

test('account: a signed-in user receives its own account events', async () => {
  const page = await sdkPage();
  const login = await signUpAndIn(page, 'alice');
  assert.equal(login.sessionUserId, login.userId);
  assert.equal(login.meId, login.userId, 'the session authenticates later REST calls');

  const received = await page.evaluate(async (userId) => {
    const { Realtime, Channel, Account } = window.appwrite;
    const { inbox, newClient, serverSubscription } = window.conformance;
    const client = newClient();
    const events = inbox('account');
    await new Realtime(client).subscribe(Channel.account(), events.callback);
    const subscription = await serverSubscription('the account channel', (s, connection) =>
      connection.user === userId && s.channels.includes('account'));
    await new Account(client).updateName({ name: 'Alice Renamed' });
    const [event] = await events.until(1);
    return { subscription, event };
  }, login.userId);
  await page.close();

  // The server rewrites `account` for a signed-in connection: it adds `account.<id>`.
  assert.deepEqual(received.subscription.channels, ['account', `account.${login.userId}`]);
  const expected = expectedVector({ kind: 'account' }, { u1: login.userId });
  assertMatchesVector(received.event, expected, received.subscription.id);
  assert.equal(received.event.events[0], `users.${login.userId}.update`, 'the attribute comes second');
  assert.equal(received.event.payload.$id, login.userId);
  assert.equal(received.event.payload.name, 'Alice Renamed');
  assert.equal(received.event.payload.password, undefined, 'no secrets in the account payload');
});

test('account: without cookies the SDK authenticates in-band from its localStorage fallback', async () => {
  const page = await sdkPage(otherBrowser);
  const login = await signUpAndIn(page, 'carol');
  assert.ok(login.cookieFallback, 'the session response carried X-Fallback-Cookies');
  // What a browser that refuses third-party cookies is left with: only the localStorage copy.
  await otherBrowser.context.clearCookies();

  const received = await page.evaluate(async (userId) => {
    const { Realtime, Channel, Account } = window.appwrite;
    const { inbox, newClient, serverSubscription } = window.conformance;
    const client = newClient();
    const account = new Account(client);
    const me = await account.get(); // authenticated by the X-Fallback-Cookies request header
    const events = inbox('account');
    await new Realtime(client).subscribe(Channel.account(), events.callback);
    const subscription = await serverSubscription('the in-band authenticated account channel',
      (s, connection) => connection.user === userId && s.channels.includes(`account.${userId}`));
    await account.updateName({ name: 'Carol Renamed' });
    const [event] = await events.until(1);
    return { me: me.$id, subscription, event };
  }, login.userId);
  await page.close();

  assert.equal(received.me, login.userId);
  assertMatchesVector(received.event, expectedVector({ kind: 'account' }, { u1: login.userId }),
    received.subscription.id);
  assert.equal(received.event.payload.name, 'Carol Renamed');
});

test('presence: a user upserts presence, another user on the presences channel sees it come and go', async () => {
  const watcherPage = await sdkPage(otherBrowser);
  const watcher = await signUpAndIn(watcherPage, 'watcher');
  await watcherPage.evaluate(async (userId) => {
    const { Realtime, Channel } = window.appwrite;
    const { inbox, newClient, serverSubscription } = window.conformance;
    window.presenceEvents = inbox('presences');
    await new Realtime(newClient()).subscribe(Channel.presences(), window.presenceEvents.callback);
    await serverSubscription('the presences channel', (s, connection) =>
      connection.user === userId && s.channels.includes('presences'));
  }, watcher.userId);

  const presentPage = await sdkPage();
  const present = await signUpAndIn(presentPage, 'present');
  const presenceId = await presentPage.evaluate(async () => {
    const { Realtime, ID, Permission, Role } = window.appwrite;
    const presenceId = ID.unique();
    await new Realtime(window.conformance.newClient()).upsertPresence({
      status: 'online', presenceId, permissions: [Permission.read(Role.users())], metadata: { page: 'conformance' },
    });
    return presenceId;
  });
  const [upserted] = await watcherPage.evaluate(() => window.presenceEvents.until(1));
  // Closing the page closes its socket; the server deletes the connection's presences.
  await presentPage.close();
  const [, deleted] = await watcherPage.evaluate(() => window.presenceEvents.until(2));
  await watcherPage.close();

  assert.deepEqual(upserted.events.slice(0, 3),
    [`presences.${presenceId}.upsert`, 'presences.*.upsert', `presences.${presenceId}`]);
  assert.deepEqual([...upserted.channels].sort(),
    ['presences', `presences.${presenceId}`, 'presences.upsert', `presences.${presenceId}.upsert`].sort());
  assert.match(upserted.timestamp, TIMESTAMP);
  assert.equal(upserted.payload.$id, presenceId);
  assert.equal(upserted.payload.userId, present.userId);
  assert.equal(upserted.payload.status, 'online');
  assert.deepEqual(upserted.payload.metadata, { page: 'conformance' });
  assert.deepEqual(upserted.payload.$permissions, ['read("users")']);
  assert.equal(deleted.events[0], `presences.${presenceId}.delete`);
  assert.equal(deleted.payload.$id, presenceId);
});

test('rows: TablesDB row channel gets create, update and delete with the 64-event mirror', async () => {
  const page = await sdkPage();
  const received = await page.evaluate(async () => {
    const { Realtime, Channel, TablesDB, Permission, Role } = window.appwrite;
    const { inbox, newClient, serverSubscription } = window.conformance;
    const client = newClient();
    const rows = inbox('rows');
    const channel = Channel.tablesdb('tdb').table('t').row();
    await new Realtime(client).subscribe(channel, rows.callback);
    const subscription = await serverSubscription('the row channel', (s) => s.channels.includes(channel.toString()));
    const tables = new TablesDB(client);
    const created = await tables.createRow({
      databaseId: 'tdb', tableId: 't', rowId: 'row1', data: { title: 'first' }, permissions: [Permission.read(Role.any())],
    });
    await tables.updateRow({ databaseId: 'tdb', tableId: 't', rowId: 'row1', data: { title: 'second' } });
    await tables.deleteRow({ databaseId: 'tdb', tableId: 't', rowId: 'row1' });
    return { channel: channel.toString(), subscriptionId: subscription.id, created, events: await rows.until(3) };
  });
  await page.close();

  assert.equal(received.channel, 'tablesdb.tdb.tables.t.rows');
  const rename = { db1: 'tdb', col1: 't', doc1: 'row1' };
  const shape = { kind: 'row', databaseType: 'tablesdb' };
  const [created, updated, deleted] = received.events;
  for (const [event, action] of [[created, 'create'], [updated, 'update'], [deleted, 'delete']]) {
    assertMatchesVector(event, expectedVector(shape, rename, action), received.subscriptionId);
    assert.equal(event.events.length, 64);
  }
  assert.deepEqual(created.payload, received.created);
  assert.equal(created.payload.$tableId, 't');
  assert.equal(created.payload.$databaseId, 'tdb');
  assert.equal(updated.payload.title, 'second');
  assert.equal(deleted.payload.$id, 'row1');
});

test('files: a bucket file channel gets the upload, the rename and the delete', async () => {
  const page = await sdkPage();
  const received = await page.evaluate(async () => {
    const { Realtime, Channel, Storage, Permission, Role } = window.appwrite;
    const { inbox, newClient, serverSubscription } = window.conformance;
    const client = newClient();
    const files = inbox('files');
    const channel = Channel.bucket('b').file();
    await new Realtime(client).subscribe(channel, files.callback);
    const subscription = await serverSubscription('the file channel', (s) => s.channels.includes(channel.toString()));
    const storage = new Storage(client);
    const file = new File(['hello, conformance'], 'hello.txt', { type: 'text/plain' });
    const created = await storage.createFile({
      bucketId: 'b', fileId: 'f1', file, permissions: [Permission.read(Role.any())],
    });
    await storage.updateFile({ bucketId: 'b', fileId: 'f1', name: 'renamed.txt' });
    await storage.deleteFile({ bucketId: 'b', fileId: 'f1' });
    return { channel: channel.toString(), subscriptionId: subscription.id, created, events: await files.until(3) };
  });
  await page.close();

  assert.equal(received.channel, 'buckets.b.files');
  const rename = { b1: 'b', f1: 'f1' };
  const [created, updated, deleted] = received.events;
  for (const [event, action] of [[created, 'create'], [updated, 'update'], [deleted, 'delete']]) {
    assertMatchesVector(event, expectedVector({ kind: 'file' }, rename, action), received.subscriptionId);
  }
  assert.deepEqual(created.payload, received.created);
  assert.equal(created.payload.bucketId, 'b');
  assert.equal(created.payload.name, 'hello.txt');
  assert.equal(created.payload.mimeType, 'text/plain');
  assert.equal(created.payload.sizeOriginal, 'hello, conformance'.length);
  assert.deepEqual(created.payload.$permissions, ['read("any")']);
  assert.equal(updated.payload.name, 'renamed.txt');
  assert.equal(deleted.payload.$id, 'f1');
});

test('teams and memberships: the team owner receives team and membership events', async () => {
  const page = await sdkPage();
  const owner = await signUpAndIn(page, 'owner');
  const received = await page.evaluate(async (ownerId) => {
    const { Realtime, Channel, Teams, Account, ID } = window.appwrite;
    const { inbox, newClient, serverSubscription } = window.conformance;
    const client = newClient();
    const teamEvents = inbox('teams');
    const membershipEvents = inbox('memberships');
    const realtime = new Realtime(client);
    await realtime.subscribe(Channel.teams(), teamEvents.callback);
    await realtime.subscribe(Channel.memberships(), membershipEvents.callback);
    const teamsSubscription = await serverSubscription('the teams channel', (s, connection) =>
      connection.user === ownerId && s.channels.includes('teams'));
    const membershipsSubscription = await serverSubscription('the memberships channel', (s, connection) =>
      connection.user === ownerId && s.channels.includes('memberships'));

    const teams = new Teams(client);
    const team = await teams.create({ teamId: ID.unique(), name: 'Conformance' });
    await teams.updateName({ teamId: team.$id, name: 'Conformance Renamed' });
    const member = await new Account(client).create({
      userId: ID.unique(), email: `member-${Date.now()}@example.com`, password: 'password123', name: 'member',
    });
    const membership = await teams.createMembership({ teamId: team.$id, roles: ['editor'], userId: member.$id });
    await teams.updateMembershipStatus({
      teamId: team.$id, membershipId: membership.$id, userId: member.$id, secret: 'unused-by-the-emulator',
    });
    return {
      team, membership, teamsSubscription, membershipsSubscription,
      teamEvents: await teamEvents.until(2),
      membershipEvents: await membershipEvents.until(2),
    };
  }, owner.userId);
  await page.close();

  const { team, membership } = received;
  const [teamCreated, teamUpdated] = received.teamEvents;
  assert.equal(teamCreated.events[0], `teams.${team.$id}.create`);
  assert.deepEqual([...teamCreated.channels].sort(),
    ['teams', `teams.${team.$id}`, 'teams.create', `teams.${team.$id}.create`].sort());
  assert.ok(teamCreated.subscriptions.includes(received.teamsSubscription.id));
  assert.equal(teamCreated.payload.$id, team.$id);
  assert.equal(teamUpdated.events[0], `teams.${team.$id}.update`);
  assert.equal(teamUpdated.payload.name, 'Conformance Renamed');

  const [membershipCreated, statusUpdated] = received.membershipEvents;
  assert.equal(membershipCreated.events[0], `teams.${team.$id}.memberships.${membership.$id}.create`);
  assert.deepEqual(membershipCreated.payload.roles, ['editor']);
  const expected = expectedVector({ kind: 'membership' }, { t1: team.$id, m1: membership.$id });
  assertMatchesVector(statusUpdated, expected, received.membershipsSubscription.id);
  assert.equal(statusUpdated.payload.teamId, team.$id);
});

test('cross-origin app: CORS, sign-in through the fallback and realtime from another origin', async () => {
  // The app is served from localhost, the API is addressed as 127.0.0.1: two sites, so the
  // SameSite session cookie is not usable and the SDK must use its localStorage fallback.
  const apiOrigin = emulator.url;
  await otherBrowser.context.clearCookies(); // earlier tests signed in on the API's origin
  const page = await sdkPage(otherBrowser, apiOrigin.replace('127.0.0.1', 'localhost'));
  const received = await page.evaluate(async (apiOrigin) => {
    const { Realtime, Channel, Account, Databases, ID, Permission, Role } = window.appwrite;
    const { inbox, newClient, serverSubscription } = window.conformance;
    const client = newClient({ apiOrigin });
    const account = new Account(client);
    const email = `cross-${Date.now()}@example.com`;
    const user = await account.create({ userId: ID.unique(), email, password: 'password123', name: 'cross' });
    await account.createEmailPasswordSession({ email, password: 'password123' });
    // setLocale adds X-Appwrite-Locale: the preflight must allow every header the SDK can send.
    const me = await new Account(newClient({ apiOrigin }).setLocale('de')).get();

    const realtime = new Realtime(client);
    const accountEvents = inbox('account');
    const documentEvents = inbox('documents');
    const documentChannel = Channel.database('db').collection('cross').document();
    await realtime.subscribe(Channel.account(), accountEvents.callback);
    await realtime.subscribe(documentChannel, documentEvents.callback);
    await serverSubscription('the authenticated account channel', (s, connection) =>
      connection.user === user.$id && s.channels.includes(`account.${user.$id}`));
    await serverSubscription('the document channel', (s, connection) =>
      connection.user === user.$id && s.channels.includes(documentChannel.toString()));

    await new Databases(client).createDocument({
      databaseId: 'db', collectionId: 'cross', documentId: 'mine', data: { owner: user.$id },
      permissions: [Permission.read(Role.user(user.$id))],
    });
    await account.updateName({ name: 'cross renamed' });
    const [documentEvent] = await documentEvents.until(1);
    const [accountEvent] = await accountEvents.until(1);
    return { userId: user.$id, me: me.$id, origin: location.origin, documentEvent, accountEvent };
  }, apiOrigin);
  await page.close();

  assert.notEqual(received.origin, apiOrigin);
  assert.deepEqual(await otherBrowser.context.cookies(apiOrigin), [], 'the browser kept no session cookie');
  assert.equal(received.me, received.userId);
  assert.equal(received.documentEvent.events[0], 'databases.db.collections.cross.documents.mine.create');
  assert.deepEqual(received.documentEvent.payload.$permissions, [`read("user:${received.userId}")`]);
  assert.equal(received.accountEvent.payload.name, 'cross renamed');
});

test('executions: the caller of a function receives its execution event', async () => {
  const page = await sdkPage();
  const caller = await signUpAndIn(page, 'caller');
  const received = await page.evaluate(async (callerId) => {
    const { Realtime, Channel, Functions } = window.appwrite;
    const { inbox, newClient, serverSubscription } = window.conformance;
    const client = newClient();
    const executions = inbox('executions');
    const channel = Channel.function('fn');
    await new Realtime(client).subscribe([channel, Channel.executions()], executions.callback);
    const subscription = await serverSubscription('the function channel', (s, connection) =>
      connection.user === callerId && s.channels.includes('functions.fn'));
    const execution = await new Functions(client).createExecution({ functionId: 'fn', body: 'ping' });
    const [event] = await executions.until(1);
    return { channel: channel.toString(), subscription, execution, event };
  }, caller.userId);
  await page.close();

  const { execution, event } = received;
  assert.equal(received.channel, 'functions.fn');
  // Synchronous: the answer is the finished execution, and the create event carries it.
  assert.equal(execution.status, 'completed');
  assert.equal(execution.responseBody, 'ping');
  assert.equal(execution.responseStatusCode, 200);
  assert.ok(execution.duration > 0, `duration ${execution.duration}`);
  assert.equal(event.events[0], `functions.fn.executions.${execution.$id}.create`);
  assert.deepEqual([...event.channels].sort(), [
    'console', 'projects.demo', 'executions', `executions.${execution.$id}`, 'functions.fn',
    'executions.create', `executions.${execution.$id}.create`, 'functions.fn.create',
  ].sort());
  assert.deepEqual(event.subscriptions, [received.subscription.id]);
  assert.deepEqual(event.payload, execution);
  assert.deepEqual(event.payload.$permissions, [`read("user:${caller.userId}")`]);
});

test('executions: async answers waiting, then completion arrives as an update event', async () => {
  const page = await sdkPage();
  const caller = await signUpAndIn(page, 'async-caller');
  const received = await page.evaluate(async (callerId) => {
    const { Realtime, Channel, Functions } = window.appwrite;
    const { inbox, newClient, serverSubscription } = window.conformance;
    const client = newClient();
    const executions = inbox('async executions');
    await new Realtime(client).subscribe(Channel.function('fn-async'), executions.callback);
    const subscription = await serverSubscription('the async function channel', (s, connection) =>
      connection.user === callerId && s.channels.includes('functions.fn-async'));
    const functions = new Functions(client);
    const execution = await functions.createExecution({ functionId: 'fn-async', body: 'later', async: true });
    const events = await executions.until(2);
    const polled = await functions.getExecution({ functionId: 'fn-async', executionId: execution.$id });
    return { subscription, execution, events, polled };
  }, caller.userId);
  await page.close();

  const { execution, events, polled } = received;
  assert.equal(execution.status, 'waiting');
  assert.equal(execution.responseBody, '');
  const id = execution.$id;
  // `processing` is a silent database step in Appwrite's functions worker: no event.
  assert.deepEqual(events.map((event) => [event.events[0], event.payload.status]), [
    [`functions.fn-async.executions.${id}.create`, 'waiting'],
    [`functions.fn-async.executions.${id}.update`, 'completed'],
  ]);
  assert.deepEqual(events[0].payload, execution, 'the create event carries the 202 answer');
  assert.deepEqual([...events[1].channels].sort(), [
    'console', 'projects.demo', 'executions', `executions.${id}`, 'functions.fn-async',
    'executions.update', `executions.${id}.update`, 'functions.fn-async.update',
  ].sort());
  for (const event of events) assert.deepEqual(event.subscriptions, [received.subscription.id]);
  const completed = events[1].payload;
  assert.equal(completed.responseBody, '', 'async executions keep no response body');
  assert.equal(completed.responseStatusCode, 200);
  assert.ok(completed.duration > 0);
  assert.deepEqual(polled, completed, 'polling returns what the last event carried');
});

test('account: email, password, prefs and status changes reach the signed-in user in order', async () => {
  const page = await sdkPage();
  const login = await signUpAndIn(page, 'dora');
  const received = await page.evaluate(async (userId) => {
    const { Realtime, Channel, Account, AppwriteException } = window.appwrite;
    const { inbox, newClient, serverSubscription, waitUntil, serverConnections } = window.conformance;
    const client = newClient();
    const events = inbox('account changes');
    await new Realtime(client).subscribe(Channel.account(), events.callback);
    const subscription = await serverSubscription('the account channel', (s, connection) =>
      connection.user === userId && s.channels.includes('account'));
    const account = new Account(client);
    const failure = async (call) => {
      try { await call(); return null; } catch (error) {
        return { code: error.code, type: error.type, isSdkError: error instanceof AppwriteException };
      }
    };
    const email = `dora-new-${Date.now()}@example.com`;
    const wrongPassword = await failure(() => account.updateEmail({ email, password: 'wrong-password' }));
    await account.updateEmail({ email, password: 'password123' });
    const wrongOld = await failure(() => account.updatePassword({ password: 'new-password-1', oldPassword: 'nope' }));
    await account.updatePassword({ password: 'new-password-1', oldPassword: 'password123' });
    await account.updatePrefs({ prefs: { theme: 'dark' } });
    const prefs = await account.getPrefs();
    const blocked = await account.updateStatus();
    const [emailEvent, passwordEvent, prefsEvent, statusEvent] = await events.until(4);
    // Blocking ends the user's sockets on the server.
    await waitUntil('the blocked user\'s socket to be dropped', async () =>
      (await serverConnections()).every((connection) => connection.user !== userId));
    const afterBlock = await failure(() => account.get());
    return { subscription, email, wrongPassword, wrongOld, prefs, blocked, afterBlock,
      emailEvent, passwordEvent, prefsEvent, statusEvent };
  }, login.userId);
  await page.close();

  const userId = login.userId;
  assert.deepEqual(received.wrongPassword, { code: 401, type: 'user_invalid_credentials', isSdkError: true });
  assert.deepEqual(received.wrongOld, { code: 401, type: 'user_invalid_credentials', isSdkError: true });
  const update = (attribute) => expectedVector({ kind: 'account' }, { u1: userId, name: attribute });
  assertMatchesVector(received.emailEvent, update('email'), received.subscription.id);
  assertMatchesVector(received.passwordEvent, update('password'), received.subscription.id);
  assertMatchesVector(received.prefsEvent, update('prefs'), received.subscription.id);
  assertMatchesVector(received.statusEvent, update('status'), received.subscription.id);
  assert.equal(received.emailEvent.payload.email, received.email);
  assert.equal(received.emailEvent.payload.emailVerification, false);
  assert.deepEqual(received.prefsEvent.payload.prefs, { theme: 'dark' });
  assert.deepEqual(received.prefs, { theme: 'dark' });
  assert.equal(received.blocked.status, false);
  assert.equal(received.statusEvent.payload.status, false);
  assert.equal(received.afterBlock.code, 401, 'the blocked user is signed out');
});

test('account: deleting the user (server route) reaches its signed-in socket as users.<id>.delete', async () => {
  const page = await sdkPage();
  const login = await signUpAndIn(page, 'erased');
  await page.evaluate(async (userId) => {
    const { Realtime, Channel } = window.appwrite;
    const { inbox, newClient, serverSubscription } = window.conformance;
    window.deletions = inbox('account deletion');
    await new Realtime(newClient()).subscribe(Channel.account(), window.deletions.callback);
    window.deletionSubscription = await serverSubscription('the account channel', (s, connection) =>
      connection.user === userId && s.channels.includes('account'));
  }, login.userId);
  const deleted = await fetch(`${emulator.url}/v1/users/${login.userId}`, {
    method: 'DELETE', headers: { 'X-Appwrite-Project': 'demo' },
  });
  assert.equal(deleted.status, 204);
  const received = await page.evaluate(async () => ({
    subscription: window.deletionSubscription,
    event: (await window.deletions.until(1))[0],
  }));
  await page.close();

  const id = login.userId;
  assert.deepEqual(received.event.events, [`users.${id}.delete`, 'users.*.delete', `users.${id}`, 'users.*']);
  assert.deepEqual(received.event.channels, ['account', `account.${id}`, 'account.delete', `account.${id}.delete`]);
  assert.deepEqual(received.event.subscriptions, [received.subscription.id]);
  assert.equal(received.event.payload.$id, id);
  assert.match(received.event.timestamp, TIMESTAMP);
});

test('permissions: another user cannot read or change a document it was not granted', async () => {
  const created = await fetch(`${emulator.url}/v1/databases/perm/collections`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Appwrite-Project': 'demo' },
    body: JSON.stringify({ collectionId: 'notes', name: 'Notes', permissions: ['create("users")'], documentSecurity: true }),
  });
  assert.equal(created.status, 201);
  const ownerPage = await sdkPage();
  const strangerPage = await sdkPage(otherBrowser);
  const owner = await signUpAndIn(ownerPage, 'owner-notes');
  await signUpAndIn(strangerPage, 'stranger-notes');
  const ids = { databaseId: 'perm', collectionId: 'notes', documentId: `note-${Date.now()}` };
  const document = await ownerPage.evaluate(async (ids) => {
    const { Databases } = window.appwrite;
    return new Databases(window.conformance.newClient()).createDocument({ ...ids, data: { text: 'mine' } });
  }, ids);
  assert.deepEqual(document.$permissions, [
    `read("user:${owner.userId}")`, `update("user:${owner.userId}")`, `delete("user:${owner.userId}")`,
  ], 'the creator gets read, update and delete when no permissions are given');

  const stranger = await strangerPage.evaluate(async (ids) => {
    const { Databases } = window.appwrite;
    const databases = new Databases(window.conformance.newClient());
    const failure = async (call) => {
      try { await call(); return null; } catch (error) { return { code: error.code, type: error.type, message: error.message }; }
    };
    return {
      get: await failure(() => databases.getDocument(ids)),
      update: await failure(() => databases.updateDocument({ ...ids, data: { text: 'theirs' } })),
      remove: await failure(() => databases.deleteDocument(ids)),
      list: (await databases.listDocuments({ databaseId: ids.databaseId, collectionId: ids.collectionId })).total,
    };
  }, ids);
  await Promise.all([ownerPage.close(), strangerPage.close()]);

  assert.deepEqual(stranger.get, { code: 404, type: 'document_not_found', message: 'Document with the requested ID could not be found.' });
  const unauthorized = { code: 401, type: 'user_unauthorized', message: 'The current user is not authorized to perform the requested action.' };
  assert.deepEqual(stranger.update, unauthorized);
  assert.deepEqual(stranger.remove, unauthorized);
  assert.equal(stranger.list, 0);

  // A guest (no session) may not create: the collection grants create to users only.
  const guest = await fetch(`${emulator.url}/v1/databases/perm/collections/notes/documents`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Appwrite-Project': 'demo' },
    body: JSON.stringify({ documentId: 'guest-note', data: {} }),
  });
  assert.equal(guest.status, 401);
  assert.equal((await guest.json()).type, 'user_unauthorized');
});

test('errors: a query realtime cannot evaluate reaches onError; the socket keeps serving', async () => {
  const page = await sdkPage();
  const received = await page.evaluate(async () => {
    const { Realtime, Channel, Query, Databases, Permission, Role } = window.appwrite;
    const { inbox, newClient, serverSubscription } = window.conformance;
    const client = newClient();
    const realtime = new Realtime(client);
    const errors = inbox('onError');
    realtime.onError((error, code) => errors.callback({ message: error.message, code }));
    const channel = Channel.database('db').collection('errors').document();
    await realtime.subscribe(channel, () => {}, [Query.contains('tags', ['x'])]);
    const [error] = await errors.until(1);

    const documents = inbox('documents');
    await realtime.subscribe(channel, documents.callback);
    await serverSubscription('the valid subscription', (s) => s.channels.includes(channel.toString()));
    await new Databases(client).createDocument({
      databaseId: 'db', collectionId: 'errors', documentId: 'after', data: {}, permissions: [Permission.read(Role.any())],
    });
    const [event] = await documents.until(1);
    return { error, eventId: event.payload.$id };
  });
  await page.close();

  assert.equal(received.error.code, 1003);
  assert.match(received.error.message, /^Invalid query: .*'contains' is not supported in Realtime queries/);
  assert.equal(received.eventId, 'after');
});
