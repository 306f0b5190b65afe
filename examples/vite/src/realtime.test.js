// Vitest runs in Node: the package resolves to its Node entry, which reads the .wasm from disk,
// so tests import it exactly as the app does, with no init().
import { expect, test } from 'vitest';
import { Channel, Client, Query, Realtime, RealtimeError } from 'appwrite-realtime-wasm';

test('the package works under Vitest as it does in the app', async () => {
  const client = new Client().setEndpoint('http://127.0.0.1:1/v1').setProject('demo');
  expect(Channel.database('main').collection('posts').document().toString())
    .toBe('databases.main.collections.posts.documents');
  expect(Query.equal('status', ['published']))
    .toBe('{"method":"equal","attribute":"status","values":["published"]}');
  // Node 20 has no WebSocket: a subscription fails at once and says why.
  const error = await new Realtime(client).subscribe('files', () => {}).catch((failure) => failure);
  expect(error).toBeInstanceOf(RealtimeError);
  expect(error.kind).toBe('environment');
});
