// `Channel`: the official SDK's channel builders as one class; the typestate lives in the
// TypeScript declarations, and plain JS callers get the order checked here. Written in JS so that
// channels are built before the wasm has loaded (the default entry does not wait for it); the
// Rust API's typed builders are crates/core/src/channel.rs.
//
// Copied beside the wasm-bindgen snippets by scripts/build.
import { idText } from './arguments.js';
import { refuse } from './exports.js';

/** An id trimmed as the official `normalize()` trims it; `undefined` where it may be left out. */
function channelId(value, optional) {
  if (optional && value === undefined) return undefined;
  return idText(value)?.trim() || refuse('Channel ID is required');
}

// The steps that follow another: the step they follow, their segment, and what calling them
// elsewhere says. Only documents, rows and files may leave their id out.
const CHILDREN = {
  collection: ['database', 'collections', 'collection() follows Channel.database(id)'],
  document: ['collection', 'documents', 'document() follows collection(id)', true],
  table: ['tablesdb', 'tables', 'table() follows Channel.tablesdb(id)'],
  row: ['table', 'rows', 'row() follows table(id)', true],
  file: ['bucket', 'files', 'file() follows Channel.bucket(id)', true],
};
const ACTIONABLE = ['document', 'row', 'file', 'team', 'membership', 'presence'];
const UPSERTABLE = ['document', 'row', 'presence'];
const NOT_ACTIONABLE = 'create(), update() and delete() follow a document, row, file, team, membership or presence channel';

export class Channel {
  #path;
  #step;

  constructor(path, step) {
    this.#path = path;
    this.#step = step;
  }

  /** The channel `step` (a key of CHILDREN) leads to from this one. */
  #child(step, value) {
    const [parent, segment, misplaced, optional] = CHILDREN[step];
    if (this.#step !== parent) refuse(misplaced);
    const id = channelId(value, optional);
    return new Channel(`${this.#path}.${segment}${id === undefined ? '' : `.${id}`}`, step);
  }

  #action(name, allowed, misplaced) {
    if (!allowed.includes(this.#step)) refuse(misplaced);
    return new Channel(`${this.#path}.${name}`, 'resolved');
  }

  toString() {
    return this.#path;
  }

  static database(id) {
    return new Channel(`databases.${channelId(id)}`, 'database');
  }
  static tablesdb(id) {
    return new Channel(`tablesdb.${channelId(id)}`, 'tablesdb');
  }
  static bucket(id) {
    return new Channel(`buckets.${channelId(id)}`, 'bucket');
  }
  static function(id) {
    return new Channel(`functions.${channelId(id)}`, 'function');
  }
  static execution(id) {
    return new Channel(`executions.${channelId(id)}`, 'execution');
  }
  static team(id) {
    return new Channel(`teams.${channelId(id)}`, 'team');
  }
  static membership(id) {
    return new Channel(`memberships.${channelId(id)}`, 'membership');
  }
  static presence(id) {
    return new Channel(`presences.${channelId(id)}`, 'presence');
  }
  collection(id) {
    return this.#child('collection', id);
  }
  document(id) {
    return this.#child('document', id);
  }
  table(id) {
    return this.#child('table', id);
  }
  row(id) {
    return this.#child('row', id);
  }
  file(id) {
    return this.#child('file', id);
  }
  create() {
    return this.#action('create', ACTIONABLE, NOT_ACTIONABLE);
  }
  update() {
    return this.#action('update', ACTIONABLE, NOT_ACTIONABLE);
  }
  upsert() {
    return this.#action('upsert', UPSERTABLE, 'upsert() follows a document, row or presence channel');
  }
  delete() {
    return this.#action('delete', ACTIONABLE, NOT_ACTIONABLE);
  }

  static account() {
    return 'account';
  }
  static documents() {
    return 'documents';
  }
  static rows() {
    return 'rows';
  }
  static files() {
    return 'files';
  }
  static executions() {
    return 'executions';
  }
  static teams() {
    return 'teams';
  }
  static memberships() {
    return 'memberships';
  }
  static presences() {
    return 'presences';
  }
}
