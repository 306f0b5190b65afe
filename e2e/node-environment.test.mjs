// Server-side rendering and tools import the package where there is no window and no WebSocket
// (Node 20): importing and building must work; opening a socket must fail clearly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { root, noBrowser } from './harness.mjs';

test('the package imports and fails clearly where there is no WebSocket', { skip: noBrowser }, async () => {
  assert.equal(typeof globalThis.WebSocket, 'undefined', 'this test needs an environment without WebSocket');
  const sdk = await import(join(root, 'pkg/appwrite_realtime_wasm.js'));
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
  const sdk = await import(join(root, 'pkg/appwrite_realtime_wasm.js'));
  sdk.initSync({ module: await readFile(join(root, 'pkg/appwrite_realtime_wasm_bg.wasm')) });
  assert.throws(() => new sdk.Client().setEndpoint('ftp://x'), { kind: 'invalid', message: 'Invalid endpoint URL: ftp://x' });
  assert.throws(() => new sdk.Client().setEndpointRealtime('http://x'), { kind: 'invalid' });
  assert.throws(() => sdk.Channel.database('  '), { message: 'Channel ID is required' });
  assert.throws(() => sdk.Query.equal('a', { nested: true }), { kind: 'invalid' });
  assert.equal(sdk.Query.equal('status', ['published']), '{"method":"equal","attribute":"status","values":["published"]}');
  assert.throws(() => new sdk.Realtime(new sdk.Client(), { pongTimeout: -1 }), { kind: 'invalid' });
});

test('errors are instances of the exported RealtimeError class', { skip: noBrowser }, async () => {
  const sdk = await import(join(root, 'pkg/appwrite_realtime_wasm.js'));
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
