// Live views through the package (issue 32): `realtime.live()` against the emulator, with the
// REST list of the same queries as the oracle. The chaos test (e2e/live-chaos.test.mjs) runs
// the long sequences; this file checks each promise of the API once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useEmulatorAndBrowser, until, restCall, controlCall } from './harness.mjs';

const suite = useEmulatorAndBrowser();

/** A REST call to the emulator as the demo project. */
const rest = (method, path, body) => restCall(suite.emulator.url, method, path, body);

let tables = 0;
/** A fresh collection `c<n>` in database `main`, readable and writable by anyone. */
async function collection() {
  tables += 1;
  const id = `live${tables}`;
  await rest('POST', '/databases/main/collections', {
    collectionId: id, name: id, permissions: ['read("any")', 'create("any")', 'update("any")', 'delete("any")'],
  });
  return id;
}

const documents = (id) => `/databases/main/collections/${id}/documents`;
const create = (id, data, documentId = 'unique()') =>
  rest('POST', documents(id), { documentId, data, permissions: ['read("any")', 'update("any")', 'delete("any")'] });
const update = (id, documentId, data) => rest('PATCH', `${documents(id)}/${documentId}`, { data });
const remove = (id, documentId) => rest('DELETE', `${documents(id)}/${documentId}`);

/** The ids the REST list of `queries` returns: the oracle. */
async function listed(id, queries) {
  const query = queries.map((text, index) => `queries[${index}]=${encodeURIComponent(text)}`).join('&');
  const body = await rest('GET', `${documents(id)}?${query}`);
  return body.documents.map((row) => row.$id);
}

/**
 * A page with one `Realtime` and a live view of collection `id` under `queries` (written in the
 * page with `Query`), its changes replayed on its first rows in `window.replayed`.
 */
async function openView(id, queries) {
  const page = await suite.browser.newPage();
  const log = [];
  page.on('console', (message) => log.push(`[${message.type()}] ${message.text()}`));
  page.on('pageerror', (error) => log.push(`[pageerror] ${error.message}`));
  page.log = log;
  await page.goto(`${suite.emulator.url}/e2e/conformance/blank.html`);
  const texts = await page.evaluate(async ([endpoint, id, queries]) => {
    const { Client, Realtime, Query } = await import('/pkg/index.js');
    window.Query = Query;
    window.realtime = new Realtime(new Client().setEndpoint(endpoint).setProject('demo'));
    const errors = (window.errors = []);
    window.realtime.onError((error) => errors.push({ kind: error.kind, message: error.message }));
    const texts = queries.map(([method, ...args]) => Query[method](...args));
    window.statuses = [];
    window.view = await window.realtime.live(`databases.main.collections.${id}.documents`, texts, (view, changes) => {
      for (const change of changes) {
        if (change.type !== 'added') window.replayed.splice(change.oldIndex, 1);
        if (change.type !== 'removed') window.replayed.splice(change.newIndex, 0, change.row);
      }
      window.statuses.push(view.status);
    });
    window.replayed = [...window.view.rows];
    return texts;
  }, [`${suite.emulator.url}/v1`, id, queries]);
  return { page, texts };
}

const viewIds = (page) => page.evaluate(() => window.view.rows.map((row) => row.$id));
const replayedIds = (page) => page.evaluate(() => window.replayed.map((row) => row.$id));

/** Waits until the view is synced and equal to the REST list, and its changes replay to it. */
async function settlesEqual(page, id, texts) {
  let last;
  await until('the view to equal the REST list', async () => {
    const expected = await listed(id, texts);
    const status = await page.evaluate(() => window.view.status);
    last = { expected, rows: await viewIds(page), status };
    return status === 'synced' && JSON.stringify(last.rows) === JSON.stringify(expected);
  }).catch((error) => {
    error.message += `\n${JSON.stringify(last)}\nconsole: ${page.log.join('\n')}`;
    throw error;
  });
  assert.deepEqual(await replayedIds(page), last.rows, 'the changes replayed on the first rows give the rows');
}

test('a filtered, ordered view follows creates, updates out of its filter and deletes', async () => {
  const id = await collection();
  await create(id, { status: 'published', n: 1 }, 'a');
  await create(id, { status: 'draft', n: 2 }, 'b');
  const { page, texts } = await openView(id, [['equal', 'status', 'published'], ['orderDesc', 'n']]);
  assert.deepEqual(await viewIds(page), ['a']);
  assert.equal(await page.evaluate(() => window.view.status), 'synced');
  await update(id, 'b', { status: 'published' });
  await settlesEqual(page, id, texts);
  assert.deepEqual(await viewIds(page), ['b', 'a']);
  await update(id, 'b', { status: 'draft' }); // leaves the filter: the server sends no event for a filtered subscription
  await settlesEqual(page, id, texts);
  await create(id, { status: 'published', n: 5 }, 'c');
  await remove(id, 'a');
  await settlesEqual(page, id, texts);
  assert.deepEqual(await viewIds(page), ['c']);
  assert.deepEqual(await page.evaluate(() => window.errors), []);
});

test('a limit window refills when a row leaves it', async () => {
  const id = await collection();
  for (let n = 1; n <= 5; n += 1) await create(id, { n }, `r${n}`);
  const { page, texts } = await openView(id, [['orderAsc', 'n'], ['limit', 3]]);
  assert.deepEqual(await viewIds(page), ['r1', 'r2', 'r3']);
  await remove(id, 'r2');
  await settlesEqual(page, id, texts);
  assert.deepEqual(await viewIds(page), ['r1', 'r3', 'r4']);
});

test('after a dropped socket the view lists once and catches up with what it missed', async () => {
  const id = await collection();
  await create(id, { n: 1 }, 'kept');
  await create(id, { n: 2 }, 'gone');
  const { page, texts } = await openView(id, [['orderAsc', 'n']]);
  await page.evaluate(() => {
    window.lists = 0;
    const original = window.fetch;
    window.fetch = (...args) => ((window.lists += 1), original(...args));
  });
  // Writes the server cannot deliver while the socket is down.
  await page.route('**/v1/realtime**', (route) => route.abort());
  await controlCall(suite.emulator.url, 'drop');
  await remove(id, 'gone');
  await create(id, { n: 0 }, 'new');
  await update(id, 'kept', { n: 9 });
  await page.unroute('**/v1/realtime**');
  await settlesEqual(page, id, texts);
  assert.deepEqual(await viewIds(page), ['new', 'kept']);
  assert.equal(await page.evaluate(() => window.lists), 1, 'one REST list for the gap');
  assert.ok((await page.evaluate(() => window.statuses)).includes('catching-up'));
});

test('bad channels and queries reject with typed errors; a missing collection ends the view', async () => {
  const id = await collection();
  const { page } = await openView(id, []);
  const outcome = (channel, queries) => page.evaluate(([channel, queries]) =>
    window.realtime.live(channel, queries, () => {}).then(
      () => 'resolved',
      (error) => ({ name: error.name, kind: error.kind, code: error.code, message: error.message }),
    ), [channel, queries]);
  const files = await outcome('files', []);
  assert.equal(files.kind, 'invalid');
  assert.match(files.message, /table's rows|collection's documents/);
  // The emulator lists an unknown collection as empty; Appwrite answers this.
  await page.route('**/collections/nothing/documents*', (route) => route.fulfill({
    status: 404,
    contentType: 'application/json',
    body: '{"message":"Collection with the requested ID could not be found.","code":404,"type":"collection_not_found"}',
  }));
  const missing = await outcome('databases.main.collections.nothing.documents', []);
  assert.equal(missing.message, 'Collection with the requested ID could not be found.');
  assert.equal(missing.kind, 'terminal');
  assert.equal(missing.code, 404);
  // A query the view reads but REST refuses, with the server's text.
  const refused = await outcome(`databases.main.collections.${id}.documents`, ['{"method":"limit","values":[0]}']);
  assert.deepEqual([refused.name, refused.kind, refused.code], ['RealtimeError', 'invalid', 400], JSON.stringify(refused));
  assert.match(refused.message, /limit/i);
  const noCallback = await page.evaluate(() => window.realtime.live('databases.main.collections.x.documents', []).catch((error) => error.kind));
  assert.equal(noCallback, 'invalid');
});

test('onChange that throws is reported and the view keeps going; close() stops it', async () => {
  const id = await collection();
  const { page, texts } = await openView(id, []);
  await page.evaluate(async ([id]) => {
    window.thrown = 0;
    window.other = await window.realtime.live(`databases.main.collections.${id}.documents`, [], () => {
      window.thrown += 1;
      throw new Error('page code');
    });
  }, [id]);
  await create(id, { n: 1 }, 'one');
  await settlesEqual(page, id, texts);
  await until('the throwing view to see it', () => page.evaluate(() => window.thrown === 1 && window.other.rows.length === 1));
  assert.ok((await page.evaluate(() => window.errors)).some((error) => error.kind === 'callback'));
  await page.evaluate(() => window.other.close());
  assert.equal(await page.evaluate(() => window.other.status), 'ended');
  await create(id, { n: 2 }, 'two');
  await settlesEqual(page, id, texts);
  assert.equal(await page.evaluate(() => window.thrown), 1, 'a closed view calls nothing');
});
