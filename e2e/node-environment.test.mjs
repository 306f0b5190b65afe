// Server-side rendering and tools import the package where there is no window and no WebSocket
// (Node 20): importing and building must work; opening a socket must fail clearly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { root, noBrowser } from './harness.mjs';

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

test('the package evaluates no code from strings, so a strict Content-Security-Policy allows it', { skip: noBrowser }, async () => {
  const { readdir } = await import('node:fs/promises');
  const files = (await readdir(join(root, 'pkg'), { recursive: true })).filter((name) => name.endsWith('.js'));
  assert.ok(files.length >= 5, `the package's modules: ${files}`);
  for (const name of files) {
    const text = await readFile(join(root, 'pkg', name), 'utf8');
    assert.doesNotMatch(text, /\bnew Function\b|\beval\(|setTimeout\(\s*['"`]/, name);
  }
});
