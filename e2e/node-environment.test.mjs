// Server-side rendering and tools import the package where there is no window and no WebSocket
// (Node 20): importing and building must work; opening a socket must fail clearly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { root, noBrowser, generator } from './harness.mjs';

test('the package imports and fails clearly where there is no WebSocket', { skip: noBrowser }, async () => {
  assert.equal(typeof globalThis.WebSocket, 'undefined', 'this test needs an environment without WebSocket');
  const sdk = await import(join(root, 'pkg/slim.js'));
  sdk.initSync({ module: await readFile(join(root, 'pkg/appwrite_realtime_wasm_bg.wasm')) });

  const client = new sdk.Client().setEndpoint('http://127.0.0.1:1/v1').setProject('demo');
  const realtime = new sdk.Realtime(client);
  const channel = sdk.Channel.database('main').collection('posts').document().toString();
  assert.equal(channel, 'databases.main.collections.posts.documents');

  await assert.rejects(realtime.subscribe(channel, () => {}), (error) => {
    assert.equal(error.name, 'RealtimeError');
    assert.equal(error.kind, 'environment');
    assert.match(error.message, /WebSocket is not available/);
    return true;
  });
  await assert.rejects(realtime.upsertPresence({ status: 'online' }), { kind: 'environment' });
});

test('invalid input is rejected with a typed error, not a panic', { skip: noBrowser }, async () => {
  const sdk = await import(join(root, 'pkg/slim.js'));
  sdk.initSync({ module: await readFile(join(root, 'pkg/appwrite_realtime_wasm_bg.wasm')) });
  assert.throws(() => new sdk.Client().setEndpoint('ftp://x'), { kind: 'invalid', message: 'Invalid endpoint URL: ftp://x' });
  assert.throws(() => new sdk.Client().setEndpointRealtime('http://x'), { kind: 'invalid' });
  assert.throws(() => sdk.Channel.database('  '), { message: 'Channel ID is required' });
  assert.throws(() => sdk.Query.equal('a', { nested: true }), { kind: 'invalid' });
  assert.throws(() => sdk.Query.equal({}, {}), { message: 'Query attribute must be a string' }); // checked first
  assert.equal(sdk.Query.equal('status', ['published']), '{"method":"equal","attribute":"status","values":["published"]}');
  assert.throws(() => new sdk.Realtime(new sdk.Client(), { pongTimeout: -1 }), { kind: 'invalid' });
  assert.throws(() => new sdk.Realtime(new sdk.Client(), { shareAcrossTabs: 'yes' }), { kind: 'invalid', message: 'shareAcrossTabs must be a boolean' });
});

test('errors are instances of the exported RealtimeError class', { skip: noBrowser }, async () => {
  const sdk = await import(join(root, 'pkg/slim.js'));
  sdk.initSync({ module: await readFile(join(root, 'pkg/appwrite_realtime_wasm_bg.wasm')) });
  try {
    new sdk.Client().setEndpoint('ws://not-http');
    assert.fail('setEndpoint accepted a non-http URL');
  } catch (error) {
    assert.ok(error instanceof sdk.RealtimeError);
    assert.ok(error instanceof Error);
    assert.equal(error.code, 0);
    assert.equal(error.kind, 'invalid');
    assert.ok(error.stack.includes('RealtimeError'));
  }
});

test('Query writes the official SDK\'s strings, byte for byte', { skip: noBrowser }, async () => {
  const ours = await import(join(root, 'pkg/slim.js'));
  const official = await import('appwrite');
  // Seeded, so a failure can be replayed: strings with quotes, escapes, controls and non-ASCII;
  // numbers across spellings (exponents, -0, fractions); booleans, null and non-finite numbers.
  let seed = 20261129;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const characters = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u0000', '\u001f', '\u007f', 'é', '€', '\u2028', '😀'];
  const string = () => Array.from({ length: Math.floor(random() * 6) }, () => pick(characters)).join('');
  const number = () => pick([0, -0, 1, -1.5, 1e21, 1e-7, 123456789.125, 2 ** 53 + 2, -(2 ** 31), Math.PI, 5e-324, NaN, Infinity]);
  const scalar = () => pick([string, number, () => random() < 0.5, () => null])();
  const value = () => (random() < 0.3 ? scalar() : Array.from({ length: Math.floor(random() * 4) }, scalar));
  let compared = 0;
  for (let round = 0; round < 500; round++) {
    const attribute = string();
    for (const name of ['equal', 'notEqual', 'lessThan', 'lessThanEqual', 'greaterThan', 'greaterThanEqual']) {
      const given = value();
      assert.equal(ours.Query[name](attribute, given), official.Query[name](attribute, given), `${name} of ${JSON.stringify(given)}`);
      compared++;
    }
    assert.equal(ours.Query.isNull(attribute), official.Query.isNull(attribute));
    assert.equal(ours.Query.isNotNull(attribute), official.Query.isNotNull(attribute));
    const attributes = Array.from({ length: 1 + Math.floor(random() * 3) }, string);
    assert.equal(ours.Query.select(attributes), official.Query.select(attributes));
    // Nested: the official SDK cannot read back floats of 16 or more characters (it makes them
    // BigInts and throws), so those are left to the last check.
    const short = pick([0, -1.5, 1e21, 1e-7, 2 ** 53 + 2, -(2 ** 31), 'text', true, null]);
    const nested = [official.Query.equal(attribute, [string(), short]), ours.Query.lessThan(string(), short)];
    assert.equal(ours.Query.and(nested), official.Query.and(nested));
    assert.equal(ours.Query.or(nested), official.Query.or(nested));
    compared += 5;
  }
  assert.equal(compared, 5500);
  assert.equal(ours.Query.equal('n', 12345678901234567891n), official.Query.equal('n', 12345678901234567891n));
  // Where ours differs on purpose: nested queries keep big integers and long floats alike.
  const exact = ours.Query.equal('n', [12345678901234567891n, Math.PI]);
  assert.equal(ours.Query.or([exact]), `{"method":"or","values":[${exact}]}`);
  assert.throws(() => official.Query.or([exact]), SyntaxError);
  // Nesting deeper than the stack: a RealtimeError, not a RangeError.
  const deep = `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
  assert.throws(() => ours.Query.and([deep]), { name: 'RealtimeError', kind: 'invalid' });
});

test('Query\'s REST-only builders write the official SDK\'s strings, and refuse what the server cannot take', { skip: noBrowser }, async () => {
  const ours = await import(join(root, 'pkg/slim.js'));
  const official = await import('appwrite');
  // Attributes and ids: fixed ones, then seeded strings with quotes, escapes, controls and non-ASCII.
  const { next, pick } = generator(20261207);
  const characters = ['a', 'Z', '0', '$', '.', '_', '-', ' ', '"', '\\', '/', '\n', '\t', '\u0000', '\u001f', '\u007f', 'é', '€', '\u2028', '\ufeff', '😀'];
  const string = (least) => Array.from({ length: least + Math.floor(next() * 8) }, () => pick(characters)).join('');
  const attributes = ['n', '$createdAt', '$sequence', 'a.b', '', 'é"\\\u2028😀', ...Array.from({ length: 300 }, () => string(0))];
  const ids = ['abc', '6853f3a0001b2c3d4e5f', 'x'.repeat(36), 'ü"\\\n😀', ...Array.from({ length: 300 }, () => string(1))];
  const limits = [1, 2, 10, 25, 100, 5000, 2 ** 31 - 1, 2 ** 32 + 1, 1e15, Number.MAX_SAFE_INTEGER];
  let compared = 0;
  const same = (name, ...args) => {
    const expected = official.Query[name](...args);
    assert.equal(ours.Query[name](...args), expected, `${name}(${args.map(String)})`);
    compared++;
    return expected;
  };
  for (const attribute of attributes) {
    same('orderAsc', attribute);
    same('orderDesc', attribute);
  }
  for (const id of ids) {
    same('cursorAfter', id);
    same('cursorBefore', id);
  }
  for (const count of limits) {
    same('limit', count);
    same('offset', count);
  }
  same('offset', 0);
  same('offset', -0); // written 0 by both
  assert.equal(compared, 2 * (attributes.length + ids.length + limits.length) + 2);
  // The examples of the brief, spelled out.
  assert.equal(same('orderAsc', 'n'), '{"method":"orderAsc","attribute":"n"}');
  assert.equal(same('orderDesc', 'n'), '{"method":"orderDesc","attribute":"n"}');
  assert.equal(same('limit', 10), '{"method":"limit","values":[10]}');
  assert.equal(same('offset', 0), '{"method":"offset","values":[0]}');
  assert.equal(same('cursorAfter', 'abc'), '{"method":"cursorAfter","values":["abc"]}');
  assert.equal(same('cursorBefore', 'abc'), '{"method":"cursorBefore","values":["abc"]}');
  // An attribute is coerced as every other builder's: the official SDK writes 5, unquoted.
  assert.equal(ours.Query.orderAsc(5), '{"method":"orderAsc","attribute":"5"}');

  // What the official SDK writes without a word, though the server refuses it or reads it as
  // something else, is a RealtimeError here.
  const refused = (call, message) => assert.throws(call, (error) =>
    error instanceof ours.RealtimeError && error.kind === 'invalid' && error.code === 0 && error.message === message);
  for (const name of ['orderAsc', 'orderDesc']) {
    for (const attribute of [undefined, null, {}, [], Symbol('s'), NaN]) refused(() => ours.Query[name](attribute), 'Query attribute must be a string');
    refused(() => ours.Query[name](), 'Query attribute must be a string');
  }
  const notCounts = [-1, 1.5, -0.5, NaN, Infinity, -Infinity, 2 ** 53, 1e21, '10', 10n, null, undefined, true, [10], {}, Symbol('s')];
  for (const value of [0, -0, ...notCounts]) refused(() => ours.Query.limit(value), 'Query.limit takes an integer from 1 to 9007199254740991');
  for (const value of notCounts) refused(() => ours.Query.offset(value), 'Query.offset takes an integer from 0 to 9007199254740991');
  refused(() => ours.Query.limit(), 'Query.limit takes an integer from 1 to 9007199254740991');
  for (const name of ['cursorAfter', 'cursorBefore']) {
    for (const id of ['', 5, 12n, true, null, undefined, ['a'], {}, Symbol('s')]) {
      refused(() => ours.Query[name](id), `Query.${name} takes the ID of a document or row, a non-empty string`);
    }
  }
});

test('the package evaluates no code from strings, so a strict Content-Security-Policy allows it', { skip: noBrowser }, async () => {
  const { readdir } = await import('node:fs/promises');
  const files = (await readdir(join(root, 'pkg'), { recursive: true })).filter((name) => name.endsWith('.js'));
  assert.ok(files.length >= 5, `the package's modules: ${files}`);
  for (const name of files) {
    const text = await readFile(join(root, 'pkg', name), 'utf8');
    assert.doesNotMatch(text, /\bnew Function\b|\beval\(|setTimeout\(\s*['"`]/, name);
  }
});
