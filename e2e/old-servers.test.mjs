// Servers before 1.9.5 answer a socket without channels with `Missing channels`: the SDK then
// puts channels and queries in the URL, opens a new socket for every change of subscriptions,
// and says so in `realtime.state.protocol`. Run against the emulator's 1.9.0 and 1.8 modes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, launchBrowser } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

/** A page on an emulator of `version`, with the package imported and helpers installed. */
async function pageOn(version) {
  const emulator = await startEmulator(['--server-version', version]);
  const tab = await browser.newPage();
  await tab.goto(`${emulator.url}/e2e/conformance/blank.html`);
  await tab.evaluate(async (endpoint) => {
    const sdk = await import('/pkg/index.js');
    window.sdk = sdk;
    const client = new sdk.Client().setEndpoint(endpoint).setProject('demo');
    window.realtime = new sdk.Realtime(client);
    window.resyncs = 0;
    window.realtime.onResync(() => { window.resyncs += 1; });
    window.posts = sdk.Channel.database('main').collection('posts').document();
    // Titles each subscription received, and a way to wait for one.
    window.received = {};
    window.collect = (name) => {
      window.received[name] = [];
      return (event) => window.received[name].push(event.payload.title);
    };
    window.arrival = (name, title) => new Promise((resolve, reject) => {
      const started = Date.now();
      const check = () => {
        if (window.received[name].includes(title)) resolve();
        else if (Date.now() - started > 5000) reject(new Error(`${name} did not receive ${title}`));
        else setTimeout(check, 10);
      };
      check();
    });
  }, `${emulator.url}/v1`);
  const createPost = async (title) => {
    const response = await fetch(`${emulator.url}/v1/databases/main/collections/posts/documents`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Appwrite-Project': 'demo' },
      body: JSON.stringify({ documentId: 'unique()', data: { title }, permissions: ['read("any")'] }),
    });
    assert.equal(response.status, 201);
  };
  return {
    tab, createPost,
    async close() { await tab.close(); await emulator.stop(); },
  };
}

test('1.9.0: URL slots carry each subscription\'s queries, and a new set takes a new socket', async () => {
  const { tab, createPost, close } = await pageOn('1.9.0');
  const protocol = await tab.evaluate(async () => {
    const { Query } = window.sdk;
    window.filtered = await window.realtime.subscribe(window.posts, window.collect('filtered'),
      [Query.equal('title', ['wanted'])]);
    return window.realtime.state.protocol;
  });
  assert.equal(protocol, 'url');
  await createPost('unwanted');
  await createPost('wanted');
  await tab.evaluate(() => window.arrival('filtered', 'wanted'));

  const resyncs = await tab.evaluate(async () => {
    window.everything = await window.realtime.subscribe(window.posts, window.collect('everything'));
    return window.resyncs;
  });
  assert.equal(resyncs, 1, 'the filtered subscription was told it may have missed events');
  await createPost('second');
  await createPost('wanted');
  await tab.evaluate(() => Promise.all([
    window.arrival('everything', 'second'), window.arrival('everything', 'wanted')]));
  const received = await tab.evaluate(() => window.received);
  assert.deepEqual(received.filtered, ['wanted', 'wanted'], 'the server applied the slot queries');

  const log = await tab.evaluate(() => window.realtime.debugLog());
  const connects = log.filter((entry) => entry.type === 'connect');
  assert.equal(connects.length, 3, 'message mode, URL mode, then the new set');
  assert.match(connects[2].detail, /channels\[\]=databases\.main\.collections\.posts\.documents&/);
  assert.match(connects[2].detail, /\[1\]\[\]=/);
  await close();
});

test('1.8: one select-all subscription per socket; queries are refused clearly', async () => {
  const { tab, createPost, close } = await pageOn('1.8');
  await tab.evaluate(async () => {
    window.plain = await window.realtime.subscribe(window.posts, window.collect('plain'));
  });
  await createPost('old server');
  await tab.evaluate(() => window.arrival('plain', 'old server'));
  const refusal = await tab.evaluate(async () => {
    const { Query } = window.sdk;
    try {
      await window.realtime.subscribe(window.posts, () => {}, [Query.equal('title', ['x'])]);
      return 'accepted';
    } catch (error) {
      return `${error.name}: ${error.message}`;
    }
  });
  assert.equal(refusal, 'RealtimeError: Realtime queries need Appwrite 1.9 or later');
  await createPost('still flowing');
  await tab.evaluate(() => window.arrival('plain', 'still flowing'));
  assert.equal(await tab.evaluate(() => window.realtime.state.protocol), 'url');
  await close();
});
