// `Channel` (js/channel.js) against the official SDK's, which it replaces: the same strings for
// every chain the official types allow, and a RealtimeError where the server publishes nothing.
// It needs no wasm, so it runs in Node on the slim entry, which never loads any.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Channel as Official } from 'appwrite';
import { root, noBrowser } from './harness.mjs';

const ids = ['main', ' padded\t', 5, 12n, true, 'ünïcödé', 'a.b'];
const firstSteps = ['database', 'tablesdb', 'bucket', 'function', 'execution', 'team', 'membership', 'presence'];
const children = { database: ['collection'], collection: ['document'], tablesdb: ['table'], table: ['row'], bucket: ['file'] };
const optionalId = new Set(['document', 'row', 'file']);
const actions = {
  document: ['create', 'update', 'upsert', 'delete'],
  row: ['create', 'update', 'upsert', 'delete'],
  presence: ['create', 'update', 'upsert', 'delete'],
  file: ['create', 'update', 'delete'],
  team: ['create', 'update', 'delete'],
  membership: ['create', 'update', 'delete'],
};

/** Every chain the official typings allow, as [description, build(ChannelClass)]. */
function chains() {
  const found = [];
  const walk = (step, label, build) => {
    found.push([label, build]);
    for (const action of actions[step] ?? []) found.push([`${label}.${action}()`, (C) => build(C)[action]()]);
    for (const child of children[step] ?? []) {
      const childIds = optionalId.has(child) ? [undefined, ...ids] : ids;
      for (const id of childIds) {
        walk(child, `${label}.${child}(${String(id)})`, (C) => build(C)[child](id));
      }
    }
  };
  for (const step of firstSteps) {
    for (const id of ids.slice(0, 2)) walk(step, `Channel.${step}(${id})`, (C) => C[step](id));
  }
  return found;
}

test('Channel builds the official strings for every chain, before any wasm is loaded', { skip: noBrowser }, async () => {
  const { Channel } = await import(join(root, 'pkg/slim.js'));
  const all = chains();
  assert.ok(all.length > 500, `${all.length} chains`);
  for (const [label, build] of all) assert.equal(String(build(Channel)), String(build(Official)), label);
  for (const name of ['account', 'documents', 'rows', 'files', 'executions', 'teams', 'memberships', 'presences']) {
    assert.equal(Channel[name](), Official[name]());
  }
});

test('Channel refuses blank ids as the official SDK does, and steps the server never publishes', { skip: noBrowser }, async () => {
  const { Channel, RealtimeError } = await import(join(root, 'pkg/slim.js'));
  const refused = (build, message) => assert.throws(build, (error) =>
    error instanceof RealtimeError && error.kind === 'invalid' && error.message === message);
  for (const blank of ['', '  ', '\ufeff\n', null, undefined, {}, Symbol('s'), NaN]) {
    refused(() => Channel.database(blank), 'Channel ID is required');
    refused(() => Channel.database('d').collection(blank), 'Channel ID is required');
  }
  for (const blank of ['', ' ', null]) refused(() => Channel.database('d').collection('c').document(blank), 'Channel ID is required');
  refused(() => Channel.database('d').document(), 'document() follows collection(id)');
  refused(() => Channel.bucket('b').collection('c'), 'collection() follows Channel.database(id)');
  refused(() => Channel.tablesdb('t').row(), 'row() follows table(id)');
  refused(() => Channel.database('d').table('t'), 'table() follows Channel.tablesdb(id)');
  refused(() => Channel.team('t').file(), 'file() follows Channel.bucket(id)');
  refused(() => Channel.database('d').create(),
    'create(), update() and delete() follow a document, row, file, team, membership or presence channel');
  refused(() => Channel.bucket('b').file().upsert(), 'upsert() follows a document, row or presence channel');
  refused(() => Channel.team('t').create().delete(),
    'create(), update() and delete() follow a document, row, file, team, membership or presence channel');
});
