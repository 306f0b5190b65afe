// The package's entries as users meet them: what each exports and declares, the Node entry that
// compiles nothing on import, the slim entry's error before init(), and, in the browser, the
// inline entry that fetches no .wasm, and the default and development entries when a server
// answers the .wasm URL with a page or a 404 (esbuild's and Rollup's output without the copied
// .wasm, Vite's dev server without optimizeDeps.exclude): the default entry fails with a
// RealtimeError that says what to do; the development one falls back to the embedded copy with a
// warning, or fails so if that does not load either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { useEmulatorAndBrowser, root, noBrowser, signUp } from './harness.mjs';

const run = promisify(execFile);
const pkg = join(root, 'pkg');
const PUBLIC_API = ['Channel', 'Client', 'Query', 'Realtime', 'RealtimeError', 'default', 'initSync'];

/** Runs `code` as an ES module in a Node process of its own (a fresh module graph); its stdout as JSON. */
async function inFreshNode(code) {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { cwd: root, timeout: 30_000 });
  return JSON.parse(stdout);
}

test('every entry exports the public API and nothing else, and the declarations name each export', { skip: noBrowser }, async () => {
  const manifest = JSON.parse(await readFile(join(pkg, 'package.json'), 'utf8'));
  const entries = new Set([manifest.exports['.'].node, manifest.exports['.'].default, manifest.exports['./inline'].default, manifest.exports['./slim'].default]);
  assert.deepEqual([...entries].sort(), ['./index.js', './inline.js', './slim.js']);
  const names = await inFreshNode(`
    const found = {};
    for (const entry of ${JSON.stringify([...entries])}) {
      // index.js fetches the .wasm, which Node cannot: read its export list without running it.
      found[entry] = entry === './index.js' ? null : Object.keys(await import(${JSON.stringify(pkg + '/')} + entry)).sort();
    }
    console.log(JSON.stringify(found));`);
  assert.deepEqual(names['./inline.js'], PUBLIC_API);
  assert.deepEqual(names['./slim.js'], PUBLIC_API);
  const index = await readFile(join(pkg, 'index.js'), 'utf8');
  const indexExports = [...index.matchAll(/^export (?:\{ ([^}]+) \}|(default) )/gm)]
    .flatMap((match) => match[2] ?? match[1].split(', ')).sort();
  assert.deepEqual(indexExports, PUBLIC_API);

  const types = await readFile(join(pkg, manifest.types), 'utf8');
  for (const name of PUBLIC_API) {
    const declared = name === 'default'
      ? /^export default function /m
      : new RegExp(`^export (declare )?(class|function|const|interface) ${name}\\b`, 'm');
    assert.match(types, declared, `${name} is exported but not declared`);
  }
  assert.deepEqual(manifest.typesVersions, { '*': { inline: [manifest.types], slim: [manifest.types] } });
});

test('the Node entry compiles no wasm on import, nor for Client, Query and Channel, and compiles it for Realtime', { skip: noBrowser }, async () => {
  const steps = await inFreshNode(`
    let compiled = 0;
    const { Module } = WebAssembly;
    WebAssembly.Module = new Proxy(Module, { construct: (target, args) => { compiled += 1; return Reflect.construct(target, args); } });
    const steps = [];
    const sdk = await import(${JSON.stringify(join(pkg, 'inline.js'))});
    const client = new sdk.Client().setEndpoint('http://127.0.0.1:1/v1').setProject('demo');
    const query = sdk.Query.equal('status', ['published']);
    steps.push(['import, Client, Query', compiled, query]);
    const channel = String(sdk.Channel.database('main').collection('posts').document());
    steps.push(['Channel', compiled, channel]);
    new sdk.Realtime(client);
    steps.push(['Realtime', compiled]);
    console.log(JSON.stringify(steps));`);
  assert.deepEqual(steps, [
    ['import, Client, Query', 0, '{"method":"equal","attribute":"status","values":["published"]}'],
    ['Channel', 0, 'databases.main.collections.posts.documents'],
    ['Realtime', 1],
  ]);
});

test('the slim entry says to call init() when used before it', { skip: noBrowser }, async () => {
  const outcome = await inFreshNode(`
    const sdk = await import(${JSON.stringify(join(pkg, 'slim.js'))});
    const attempt = (use) => { try { use(); return 'no error'; } catch (error) { return [error instanceof sdk.RealtimeError, error.kind, error.message]; } };
    const before = attempt(() => new sdk.Realtime(new sdk.Client()));
    const channel = String(sdk.Channel.database('main'));
    const { readFileSync } = await import('node:fs');
    sdk.initSync({ module: readFileSync(${JSON.stringify(join(pkg, 'appwrite_realtime_wasm_bg.wasm'))}) });
    const after = attempt(() => new sdk.Realtime(new sdk.Client()));
    console.log(JSON.stringify({ before, channel, after }));`);
  assert.deepEqual(outcome.before.slice(0, 2), [true, 'environment']);
  assert.match(outcome.before[2], /await init\(\) before using Realtime/);
  assert.equal(outcome.channel, 'databases.main', 'Channel needs no wasm');
  assert.equal(outcome.after, 'no error');
});

const suite = useEmulatorAndBrowser();

/**
 * A page of the emulator's origin (loopback WebSockets are allowed from it) whose requests for the
 * .wasm and for the module with the embedded copy are recorded and, when given, answered with
 * `answers.wasm` and `answers.embedded`.
 */
async function emulatorPage(answers = {}) {
  const page = await suite.browser.newPage();
  const requested = { wasm: [], embedded: [] };
  const warnings = [];
  page.on('console', (message) => { if (message.type() === 'warning') warnings.push(message.text()); });
  for (const [kind, pattern] of [['wasm', '**/*.wasm'], ['embedded', '**/*.wasm.js']]) {
    await page.route(pattern, (route) => {
      requested[kind].push(route.request().url());
      return answers[kind] ? route.fulfill(answers[kind]) : route.continue();
    });
  }
  await page.goto(`${suite.emulator.url}/e2e/conformance/blank.html`);
  return { page, requested, warnings };
}

/** Imports `entry` in the page and subscribes; the connection's status, or the subscription's error. */
function subscribeWith(page, entry) {
  return page.evaluate(async ([entry, endpoint]) => {
    const { Client, Realtime, Channel } = await import(entry);
    const realtime = new Realtime(new Client().setEndpoint(endpoint).setProject('demo'));
    try {
      await realtime.subscribe(Channel.files(), () => {});
    } catch (error) {
      return { error: { name: error.name, kind: error.kind, message: error.message } };
    }
    const { status } = realtime.state;
    await realtime.disconnect();
    return { status };
  }, [entry, `${suite.emulator.url}/v1`]);
}

const ADVICE = [
  /optimizeDeps: \{ exclude: \['appwrite-realtime-wasm'\] \}/,
  /import 'appwrite-realtime-wasm\/inline'/,
  /cp node_modules\/appwrite-realtime-wasm\/\*\.wasm/,
];

test('the inline entry subscribes with no .wasm request and no top-level await', async () => {
  const { page, requested } = await emulatorPage();
  const source = await readFile(join(pkg, 'inline.js'), 'utf8');
  assert.doesNotMatch(source, /^(?!\/\/)\S.*\bawait\b/m);
  assert.deepEqual(await subscribeWith(page, '/pkg/inline.js'), { status: 'connected' });
  assert.deepEqual(requested.wasm, []);
  assert.equal(requested.embedded.length, 1);
  await page.close();
});

test('the default entry fetches the .wasm and not the embedded copy, with no top-level await', async () => {
  assert.doesNotMatch(await readFile(join(pkg, 'index.js'), 'utf8'), /^(?!\/\/)\S.*\bawait\b/m);
  const { page, requested, warnings } = await emulatorPage();
  assert.deepEqual(await subscribeWith(page, '/pkg/index.js'), { status: 'connected' });
  assert.equal(requested.wasm.length, 1);
  assert.deepEqual(requested.embedded, []);
  assert.deepEqual(warnings, []);
  await page.close();
});

/**
 * A page whose sockets are noted as they open, send and receive (the types of the frames),
 * before the SDK's own handlers run. In the page: Firefox over WebDriver BiDi reports no
 * WebSocket events to Playwright.
 */
async function watchedPage() {
  const page = await suite.browser.newPage();
  await page.addInitScript(() => {
    const sockets = (window.__sockets = []);
    const closed = (window.__closed = []);
    const sent = (window.__sent = []);
    const received = (window.__received = []);
    const typeOf = (text) => {
      try {
        return JSON.parse(text).type;
      } catch {
        return '?';
      }
    };
    const Native = window.WebSocket;
    window.WebSocket = class WebSocket extends Native {
      constructor(url, protocols) {
        super(url, protocols);
        sockets.push(url);
        this.addEventListener('message', (event) => received.push(typeOf(event.data)));
        this.addEventListener('close', () => closed.push(url));
      }
      send(text) {
        sent.push(typeOf(text));
        return super.send(text);
      }
    };
  });
  return page;
}

/**
 * Makes the sockets of `page` (a watched page, before it loads) keep the server's frames of
 * `type` from the SDK's handlers until `window.releaseFrames()`; for `response`, a server slow to
 * answer a subscription.
 */
async function holdFrames(page, type) {
  await page.addInitScript((type) => {
    const Watched = window.WebSocket;
    const sockets = [];
    window.holdFrames = true;
    window.WebSocket = class WebSocket extends Watched {
      #handler = null;
      #held = [];
      constructor(url, protocols) {
        super(url, protocols);
        sockets.push(this);
        super.onmessage = (event) => {
          if (window.holdFrames && JSON.parse(event.data).type === type) this.#held.push(event);
          else this.#handler?.(event);
        };
      }
      set onmessage(handler) {
        this.#handler = handler;
      }
      get onmessage() {
        return this.#handler;
      }
      release() {
        for (const event of this.#held.splice(0)) this.#handler?.(event);
      }
    };
    window.releaseFrames = () => {
      window.holdFrames = false;
      for (const socket of sockets) socket.release();
    };
  }, type);
}

/** A watched page at the blank page whose sockets hold frames of `type` (holdFrames). */
async function pageHoldingFrames(type) {
  const page = await watchedPage();
  await holdFrames(page, type);
  await page.goto(`${suite.emulator.url}/e2e/conformance/blank.html`);
  return page;
}

/**
 * A watched page at the blank page, whose .wasm is held until `until` holds in the page (10 s at
 * most, for a page where it never does). `held` resolves with what `then(page)` returned (or
 * resolved with) at that moment, before the .wasm went on, or with `undefined` if `until` never
 * held or `then` failed. With `frames`, its sockets also hold the frames of that type (holdFrames).
 */
async function pageHoldingWasm(until, then = () => true, frames = undefined) {
  const page = await watchedPage();
  if (frames) await holdFrames(page, frames);
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await page.route('**/*.wasm', async (route) => {
    release(await page.waitForFunction(until, null, { timeout: 10_000 }).then(() => then(page)).catch(() => undefined));
    await route.continue();
  });
  await page.goto(`${suite.emulator.url}/e2e/conformance/blank.html`);
  return { page, held };
}

/** Publishes a file event (`name` = `$id` = `id`) on the `files` channel for `roles`; how many sockets it reached. */
async function publishFile(id, roles = ['any']) {
  const reply = await fetch(`${suite.emulator.url}/_emulator/publish`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      project: 'demo', events: [`buckets.b.files.${id}.create`], channels: ['files', `buckets.b.files.${id}`],
      roles, payload: { $id: id, name: id },
    }),
  });
  return (await reply.json()).delivered;
}

test('the default entry opens the socket while the .wasm downloads, and the engine takes that socket over', async () => {
  // The .wasm is held until the page opened its socket.
  const { page, held } = await pageHoldingWasm(() => window.__sockets.length > 0);
  assert.deepEqual(await subscribeWith(page, '/pkg/index.js'), { status: 'connected' });
  assert.equal(await held, true, 'the socket opened before the .wasm arrived');
  const sockets = await page.evaluate(() => window.__sockets);
  assert.equal(sockets.length, 1, `one socket: ${sockets.join(', ')}`);
  await page.close();
});

/** Waits in the page until the callback's `window.ids` holds `count` ids; they. */
const idsOnceThere = (page, count) =>
  page.waitForFunction((count) => window.ids?.length >= count && window.ids, count, { timeout: 5_000 }).then((ids) => ids.jsonValue());

test('without queries, the first subscription is live before the .wasm arrives, and its events reach the callback then', async () => {
  // The .wasm is held until the server acknowledged the subscription, got an event for it, and
  // the callback had it.
  const { page, held } = await pageHoldingWasm(() => window.__received.includes('response'), async (page) => {
    const reached = await publishFile('early');
    return { reached, ids: await idsOnceThere(page, 1) };
  });
  const seen = await page.evaluate(async (endpoint) => {
    const { Client, Realtime, Channel } = await import('/pkg/index.js');
    const realtime = new Realtime(new Client().setEndpoint(endpoint).setProject('demo'));
    window.ids = [];
    window.realtime = realtime;
    await realtime.subscribe([Channel.files(), 'files'], (event) => window.ids.push(event.payload.$id));
    return realtime.state.status;
  }, `${suite.emulator.url}/v1`);
  assert.deepEqual(await held, { reached: 1, ids: ['early'] }, 'the callback had the event while the .wasm was held');
  assert.equal(seen, 'connected');
  // Logged by the engine, once it took the socket over.
  const logged = await page.waitForFunction(() => {
    const logged = window.realtime.debugLog().filter((entry) => entry.type !== 'ping' && entry.direction !== 'local');
    return logged.some((entry) => entry.type === 'event') && logged.map((entry) => `${entry.direction} ${entry.type}`);
  }, null, { timeout: 5_000 }).then((handle) => handle.jsonValue());
  assert.deepEqual(logged.slice(0, 2), ['out connect', 'out subscribe'], 'the log has the row, after its connection');
  assert.equal(await publishFile('later'), 1);
  assert.deepEqual(await idsOnceThere(page, 2), ['early', 'later'], 'each event once, in order');
  assert.equal(await page.evaluate(() => window.realtime.stats().eventsDelivered), 2);
  const { sockets, sent } = await page.evaluate(() => ({ sockets: window.__sockets, sent: window.__sent }));
  assert.equal(sockets.length, 1);
  assert.deepEqual(sent.filter((type) => type !== 'ping'), ['subscribe'], 'the engine adopted the row rather than sending its own');
  await page.close();
});

test('with the session the official SDK keeps, the early socket authenticates once its row is answered, and the engine not again', async () => {
  const { userId, token } = await signUp(suite.emulator.url, 'early-session');
  // The .wasm is held until the server answered the row and the authentication; then an event
  // for the user alone, which a guest socket would not get.
  const { page, held } = await pageHoldingWasm(() => window.__received.filter((type) => type === 'response').length === 2, async (page) => {
    const reached = await publishFile('mine', [`user:${userId}`]);
    return { reached, ids: await idsOnceThere(page, 1) };
  });
  try {
    await page.evaluate(async ([endpoint, token]) => {
      localStorage.setItem('cookieFallback', JSON.stringify({ a_session_demo: token }));
      const { Client, Realtime, Channel } = await import('/pkg/index.js');
      window.ids = [];
      window.realtime = new Realtime(new Client().setEndpoint(endpoint).setProject('demo'));
      await window.realtime.subscribe(Channel.files(), (event) => window.ids.push(event.payload.$id));
    }, [`${suite.emulator.url}/v1`, token]);
    assert.deepEqual(await held, { reached: 1, ids: ['mine'] }, 'the user\'s event reached the callback while the .wasm was held');
    const sent = await page.evaluate(() => window.__sent.filter((type) => type !== 'ping'));
    assert.deepEqual(sent, ['subscribe', 'authentication'], 'the engine adopted the authentication too');
    await page.waitForFunction(() => window.realtime.debugLog().some((entry) => entry.type === 'authentication'), null, { timeout: 5_000 });
    const logged = await page.evaluate(() =>
      window.realtime.debugLog().filter((entry) => entry.direction === 'out').map((entry) => `${entry.type} ${entry.detail}`));
    assert.ok(logged.includes('authentication session [redacted]'), `logged, redacted: ${logged.join(', ')}`);
  } finally {
    await page.evaluate(() => localStorage.removeItem('cookieFallback')); // the origin's pages share it
    await page.close();
  }
});

test('a callback that throws on an event delivered before the .wasm is reported as the engine reports it', async () => {
  const { page, held } = await pageHoldingWasm(() => window.__received.includes('response'), async (page) => {
    await publishFile('thrown');
    return { ids: await idsOnceThere(page, 1), errors: await page.evaluate(() => window.errors) };
  });
  await page.evaluate(async (endpoint) => {
    const { Client, Realtime, Channel } = await import('/pkg/index.js');
    const realtime = new Realtime(new Client().setEndpoint(endpoint).setProject('demo'));
    const errors = (window.errors = []);
    realtime.onError((error, code) => errors.push({ name: error.name, kind: error.kind, code, message: error.message, cause: error.cause?.message }));
    window.ids = [];
    await realtime.subscribe(Channel.files(), (event) => {
      window.ids.push(event.payload.$id);
      throw new Error(`no room for ${event.payload.$id}`);
    });
  }, `${suite.emulator.url}/v1`);
  const { ids, errors } = await held;
  assert.deepEqual(ids, ['thrown']);
  assert.deepEqual(errors, [{
    name: 'RealtimeError', kind: 'callback', code: 0, message: 'A subscription callback threw: no room for thrown', cause: 'no room for thrown',
  }]);
  await page.close();
});

for (const [what, legacy, stop] of [
  ['client.subscribe\'s unsubscribe', true, () => window.stop()],
  // Not awaited: it settles once the engine, held with the .wasm, is there.
  ['disconnect()', false, () => { window.realtime.disconnect(); }],
]) {
  test(`after ${what} while the .wasm loads, the early socket's events no longer reach the callback`, async () => {
    // Stopped once the server has the row; then an event for that row, which the page receives.
    const { page, held } = await pageHoldingWasm(() => window.__received.includes('response'), async (page) => {
      await page.evaluate(stop);
      const reached = await publishFile('after-stop');
      await page.waitForFunction(() => window.__received.includes('event'), null, { timeout: 5_000 });
      return { reached, ids: await page.evaluate(() => window.ids) };
    });
    await page.evaluate(async ([endpoint, legacy]) => {
      const { Client, Realtime, Channel } = await import('/pkg/index.js');
      const client = new Client().setEndpoint(endpoint).setProject('demo');
      window.ids = [];
      const callback = (event) => window.ids.push(event.payload.$id);
      if (legacy) window.stop = client.subscribe(Channel.files(), callback);
      else await (window.realtime = new Realtime(client)).subscribe(Channel.files(), callback).catch(() => {});
    }, [`${suite.emulator.url}/v1`, legacy]);
    assert.deepEqual(await held, { reached: 1, ids: [] });
    await page.close();
  });
}

/**
 * In the page, with the .wasm held until the early socket had the server's answer: subscribes to
 * `files`, notes whether the engine had taken the socket over (its open listener ran) when the
 * promise resolved, then calls `use(subscription)` on the handle at once and awaits it.
 */
async function useEarlyHandle(use) {
  const { page, held } = await pageHoldingWasm(() => window.__received.includes('response'));
  const outcome = await page.evaluate(async ([endpoint, use]) => {
    const { Client, Realtime, Channel } = await import('/pkg/index.js');
    const realtime = new Realtime(new Client().setEndpoint(endpoint).setProject('demo'));
    let engineOpened = false;
    realtime.onOpen(() => { engineOpened = true; });
    window.ids = [];
    const subscription = await realtime.subscribe(Channel.files(), (event) => window.ids.push(event.payload.$id));
    const resolved = { engineOpened, sent: [...window.__sent], status: realtime.state.status };
    // eslint-disable-next-line no-new-func
    await new Function('subscription', `return (${use})(subscription)`)(subscription);
    return resolved;
  }, [`${suite.emulator.url}/v1`, use.toString()]);
  assert.equal(await held, true);
  assert.deepEqual(outcome, { engineOpened: false, sent: ['subscribe'], status: 'connected' },
    'resolved on the early row\'s answer, before the engine took over');
  return page;
}

test('the promise of subscribe() resolves on the server\'s answer on the early socket, and its unsubscribe reaches the engine', async () => {
  const page = await useEarlyHandle((subscription) => subscription.unsubscribe());
  assert.deepEqual(await page.evaluate(() => window.__sent.filter((type) => type !== 'ping')), ['subscribe', 'unsubscribe']);
  assert.equal(await publishFile('after-unsubscribe'), 0, 'the server forgot the row');
  assert.deepEqual(await page.evaluate(() => window.ids), []);
  await page.close();
});

test('the handle subscribe() resolved with before the engine took over updates the subscription', async () => {
  const page = await useEarlyHandle((subscription) => subscription.update({ channels: ['buckets.b.files.moved'] }));
  assert.equal(await publishFile('elsewhere'), 0, 'the row on files is gone');
  assert.equal(await publishFile('moved'), 1);
  assert.deepEqual(await idsOnceThere(page, 1), ['moved']);
  await page.close();
});

test('unsubscribe on that handle ends deliveries at once, those of frames the engine has yet to handle too', async () => {
  const { page, held } = await pageHoldingWasm(() => window.__received.includes('response'), undefined, 'event');
  await page.evaluate(async (endpoint) => {
    const { Client, Realtime, Channel } = await import('/pkg/index.js');
    const realtime = new Realtime(new Client().setEndpoint(endpoint).setProject('demo'));
    window.ids = [];
    window.subscription = await realtime.subscribe(Channel.files(), (event) => window.ids.push(event.payload.$id));
  }, `${suite.emulator.url}/v1`);
  assert.equal(await held, true);
  assert.equal(await publishFile('unwanted'), 1);
  await page.waitForFunction(() => window.__received.includes('event'), null, { timeout: 5_000 });
  await page.evaluate(async () => {
    const unsubscribed = window.subscription.unsubscribe();
    window.releaseFrames(); // the event reaches the SDK after the call, before the engine's unsubscribe
    await unsubscribed;
  });
  assert.deepEqual(await page.evaluate(() => window.ids), []);
  await page.close();
});

test('a socket lost before the engine took it over is restored by the engine, with an onResync', async () => {
  // The .wasm is held until the server has dropped the early socket, which had the row.
  const { page, held } = await pageHoldingWasm(() => window.__received.includes('response'), async (page) => {
    const dropped = await fetch(`${suite.emulator.url}/_emulator/drop`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}',
    }).then((response) => response.json());
    await page.waitForFunction(() => window.__closed.length === 1, null, { timeout: 5_000 });
    return { dropped: dropped.affected, status: await page.evaluate(() => window.realtime.state.status) };
  });
  await page.evaluate(async (endpoint) => {
    const { Client, Realtime, Channel } = await import('/pkg/index.js');
    const realtime = (window.realtime = new Realtime(new Client().setEndpoint(endpoint).setProject('demo')));
    window.resyncs = 0;
    realtime.onResync(() => { window.resyncs += 1; });
    window.ids = [];
    realtime.subscribe(Channel.files(), (event) => window.ids.push(event.payload.$id));
  }, `${suite.emulator.url}/v1`);
  assert.deepEqual(await held, { dropped: 1, status: 'connecting' }, 'the early socket was dropped, and the state says so');
  await page.waitForFunction(() => window.resyncs === 1, null, { timeout: 10_000 });
  assert.equal(await publishFile('restored'), 1);
  assert.deepEqual(await idsOnceThere(page, 1), ['restored']);
  assert.equal(await page.evaluate(() => window.__sockets.length), 2);
  await page.close();
});

test('with queries too, the first subscription is live before the .wasm arrives', async () => {
  const { page, held } = await pageHoldingWasm(() => window.__received.includes('response'), () => publishFile('early'));
  await page.evaluate(async (endpoint) => {
    const { Client, Realtime, Channel, Query } = await import('/pkg/index.js');
    const realtime = new Realtime(new Client().setEndpoint(endpoint).setProject('demo'));
    window.ids = [];
    await realtime.subscribe(Channel.files(), (event) => window.ids.push(event.payload.$id), [Query.equal('name', ['early', 'later'])]);
  }, `${suite.emulator.url}/v1`);
  assert.equal(await held, 1, 'the server had the subscription, queries and all, while the .wasm was held');
  assert.equal(await publishFile('elsewhere'), 0, 'the server applies the query');
  assert.equal(await publishFile('later'), 1);
  await page.waitForFunction(() => window.ids.length === 2, null, { timeout: 5_000 });
  assert.deepEqual(await page.evaluate(() => window.ids), ['early', 'later']);
  assert.deepEqual(await page.evaluate(() => window.__sent.filter((type) => type !== 'ping')), ['subscribe']);
  await page.close();
});

test('a first subscription the engine refuses is refused once, and the one after it is not mistaken for it', async () => {
  // The .wasm is held until the server refused the early row of the invalid subscription.
  const { page, held } = await pageHoldingWasm(() => window.__received.includes('error'));
  const outcome = await page.evaluate(async (endpoint) => {
    const { Client, Realtime, Channel, Query } = await import('/pkg/index.js');
    const realtime = new Realtime(new Client().setEndpoint(endpoint).setProject('demo'));
    window.errors = [];
    realtime.onError((error) => window.errors.push(error.message));
    window.ids = [];
    const refused = realtime.subscribe(Channel.files(), () => {}, [Query.select(['name'])]);
    const valid = realtime.subscribe(Channel.files(), (event) => window.ids.push(event.payload.$id));
    return {
      refused: await refused.then(() => 'subscribed', (error) => error.message),
      valid: await valid.then(() => 'subscribed', (error) => error.message),
    };
  }, `${suite.emulator.url}/v1`);
  assert.equal(await held, true, 'the early row went out and the server refused it');
  assert.match(outcome.refused, /^query 0: /, 'refused by the engine, which names the query');
  assert.equal(outcome.valid, 'subscribed');
  assert.equal(await publishFile('after'), 1);
  await page.waitForFunction(() => window.ids.length === 1, null, { timeout: 5_000 });
  assert.deepEqual(await page.evaluate(() => window.ids), ['after']);
  assert.deepEqual(await page.evaluate(() => window.errors), [], 'the refusal was the caller\'s to hear, once');
  await page.close();
});


/**
 * Subscribes once in `page` (pageHoldingFrames) and checks that the engine leaves the early
 * socket alone while the row's answer is held; then, after `call` if there is one, that it takes
 * the socket over: at once for the call, after EARLY_SETTLE_LIMIT (js/early.js) without.
 */
async function engineWaits(page, call) {
  const waited = await page.evaluate(async (endpoint) => {
    const { default: ready, Client, Realtime, Channel } = await import('/pkg/index.js');
    const realtime = (window.realtime = new Realtime(new Client().setEndpoint(endpoint).setProject('demo')));
    window.subscribed = realtime.subscribe(Channel.files(), () => {});
    await ready();
    const idle = () => new Promise((resolve) => (window.requestIdleCallback ? requestIdleCallback(resolve) : setTimeout(resolve)));
    while (!window.__sent.includes('subscribe')) await idle();
    window.rowSentAt = performance.now();
    for (let moment = 0; moment < 5; moment += 1) await idle();
    // The engine logs its connection when it takes the socket over (page code's calls are logged from the start).
    window.engineLogged = () => realtime.debugLog().filter((entry) => entry.type !== 'call').length;
    return { logged: window.engineLogged(), answers: window.__received.filter((type) => type === 'response').length };
  }, `${suite.emulator.url}/v1`);
  assert.deepEqual(waited, { logged: 0, answers: 1 }, 'the answer came, the page has not seen it, and the engine waits');
  if (call) await page.evaluate(call);
  const took = await page.waitForFunction(() => window.engineLogged() > 0 && performance.now() - window.rowSentAt, null, { timeout: 5_000 });
  const afterRow = await took.jsonValue();
  if (call) assert.ok(afterRow < 1_500, `the call started the engine ${afterRow} ms after the row went out`);
  else assert.ok(afterRow >= 1_500, `the engine waited ${afterRow} ms for the answer`);
  await page.evaluate(() => window.releaseFrames());
  assert.equal(await page.evaluate(() => window.subscribed.then(() => window.realtime.state.status)), 'connected');
}

for (const [what, call] of [
  // Not awaited: its answer is held too.
  ['until a call needs it', () => { window.realtime.subscribe('files', () => {}); }],
  ['for two seconds at most', undefined],
]) {
  test(`while the server has not answered the early socket's row, the engine waits to take it over ${what}`, async () => {
    const page = await pageHoldingFrames('response');
    try {
      await engineWaits(page, call);
    } finally {
      await page.close();
    }
  });
}

const HTML_PAGE = { status: 200, contentType: 'text/html', body: '<!doctype html><title>app</title>' };
const NOT_FOUND = { status: 404, contentType: 'text/plain', body: 'not found' };

for (const [answer, wasm, cause] of [['an HTML page', HTML_PAGE, /magic/i], ['a 404', NOT_FOUND, /404/]]) {
  test(`when the .wasm URL answers ${answer}, the development entry loads the embedded copy and says what to set`, async () => {
    const { page, requested, warnings } = await emulatorPage({ wasm });
    assert.deepEqual(await subscribeWith(page, '/pkg/index-dev.js'), { status: 'connected' });
    assert.equal(requested.wasm.length, 1);
    assert.equal(requested.embedded.length, 1);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    for (const pattern of [cause, ...ADVICE]) assert.match(warnings[0], pattern);
    await page.close();
  });

  test(`when the .wasm URL answers ${answer}, the default entry fails with what to do and fetches no embedded copy`, async () => {
    const { page, requested } = await emulatorPage({ wasm });
    const { error } = await subscribeWith(page, '/pkg/index.js');
    assert.equal(error?.name, 'RealtimeError');
    assert.equal(error.kind, 'environment');
    for (const pattern of [cause, ...ADVICE]) assert.match(error.message, pattern);
    assert.deepEqual(requested.embedded, []);
    await page.close();
  });
}

test('when neither the .wasm nor the embedded copy loads, subscribing fails with a RealtimeError that says what to set', async () => {
  const { page } = await emulatorPage({ wasm: HTML_PAGE, embedded: NOT_FOUND });
  const { error } = await subscribeWith(page, '/pkg/index-dev.js');
  assert.equal(error?.name, 'RealtimeError');
  assert.equal(error.kind, 'environment');
  for (const pattern of [/magic/i, ...ADVICE]) assert.match(error.message, pattern);
  await page.close();
});
