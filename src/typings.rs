//! Hand-written TypeScript for every class: wasm-bindgen cannot express generics, `this`-typed
//! builder steps or option bags, and its own declarations would list `free()` and
//! `Symbol.dispose`, which need a newer `lib` than the default.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPESCRIPT: &str = r#"
/** Marker types of the `Channel` builder steps, as in the official SDK. */
export interface Database { readonly _db: never }
export interface Collection { readonly _coll: never }
export interface Document { readonly _doc: never }
export interface TablesDB { readonly _tdb: never }
export interface Table { readonly _tbl: never }
export interface Row { readonly _row: never }
export interface Bucket { readonly _bkt: never }
export interface File { readonly _file: never }
export interface Func { readonly _fn: never }
export interface Execution { readonly _exec: never }
export interface Team { readonly _team: never }
export interface Membership { readonly _mem: never }
export interface Presence { readonly _presence: never }
export interface Resolved { readonly _res: never }
export type Actionable = Document | Row | File | Team | Membership | Presence;

/**
 * A channel built step by step: `Channel.database('main').collection('posts').document()`.
 * Each step only offers what may follow it; `toString()` is the channel string.
 */
export class Channel<T> {
  private constructor();
  private readonly _type: T;
  toString(): string;
  collection(this: Channel<Database>, id: string): Channel<Collection>;
  document(this: Channel<Collection>, id?: string): Channel<Document>;
  table(this: Channel<TablesDB>, id: string): Channel<Table>;
  row(this: Channel<Table>, id?: string): Channel<Row>;
  file(this: Channel<Bucket>, id?: string): Channel<File>;
  create(this: Channel<Actionable>): Channel<Resolved>;
  upsert(this: Channel<Document | Row | Presence>): Channel<Resolved>;
  update(this: Channel<Actionable>): Channel<Resolved>;
  delete(this: Channel<Actionable>): Channel<Resolved>;
  static database(id: string): Channel<Database>;
  static execution(id: string): Channel<Execution>;
  static tablesdb(id: string): Channel<TablesDB>;
  static bucket(id: string): Channel<Bucket>;
  static function(id: string): Channel<Func>;
  static team(id: string): Channel<Team>;
  static membership(id: string): Channel<Membership>;
  static presence(id: string): Channel<Presence>;
  static account(): string;
  static documents(): string;
  static rows(): string;
  static files(): string;
  static executions(): string;
  static teams(): string;
  static memberships(): string;
  static presences(): string;
}

export type DatabaseChannel = Channel<Database>;
export type CollectionChannel = Channel<Collection>;
export type DocumentChannel = Channel<Document>;
export type TablesDbChannel = Channel<TablesDB>;
export type TableChannel = Channel<Table>;
export type RowChannel = Channel<Row>;
export type BucketChannel = Channel<Bucket>;
export type FileChannel = Channel<File>;
export type FunctionChannel = Channel<Func>;
export type ExecutionChannel = Channel<Execution>;
export type TeamChannel = Channel<Team>;
export type MembershipChannel = Channel<Membership>;
export type PresenceChannel = Channel<Presence>;
export type ResolvedChannel = Channel<Resolved>;
/** Channels that take `create()`, `update()` and `delete()`. */
export type ActionableChannel = Channel<Actionable>;

/**
 * Any channel: a string, a `Channel` builder of this package or of the official SDK, or
 * anything else whose `toString()` gives a channel.
 */
export type ChannelLike = string | { toString(): string };

/** A query: a string from `Query.*` (either SDK's), or anything whose `toString()` gives one. */
export type QueryLike = string | { toString(): string };

/** A value a query compares with. */
export type QueryScalar = string | number | boolean | bigint | null;

/**
 * Builders for the queries realtime accepts, and for the order and window of REST lists (which
 * realtime refuses); each returns the query string.
 */
export class Query {
  private constructor();
  static equal(attribute: string, value: QueryScalar | QueryScalar[]): string;
  static notEqual(attribute: string, value: QueryScalar | QueryScalar[]): string;
  static lessThan(attribute: string, value: QueryScalar | QueryScalar[]): string;
  static lessThanEqual(attribute: string, value: QueryScalar | QueryScalar[]): string;
  static greaterThan(attribute: string, value: QueryScalar | QueryScalar[]): string;
  static greaterThanEqual(attribute: string, value: QueryScalar | QueryScalar[]): string;
  static isNull(attribute: string): string;
  static isNotNull(attribute: string): string;
  /** Realtime accepts only `select(['*'])`: every event of the channels. */
  static select(attributes: string[]): string;
  static and(queries: QueryLike[]): string;
  static or(queries: QueryLike[]): string;
  /** REST lists only: sorts by `attribute`, ascending. */
  static orderAsc(attribute: string): string;
  /** REST lists only: sorts by `attribute`, descending. */
  static orderDesc(attribute: string): string;
  /** REST lists only: at most `limit` rows, an integer from 1 to `Number.MAX_SAFE_INTEGER`. */
  static limit(limit: number): string;
  /** REST lists only: skips the first `offset` rows, an integer from 0 to `Number.MAX_SAFE_INTEGER`. */
  static offset(offset: number): string;
  /** REST lists only: the rows after the one with this ID. */
  static cursorAfter(documentId: string): string;
  /** REST lists only: the rows before the one with this ID. */
  static cursorBefore(documentId: string): string;
}

/**
 * What a callback receives for every event. Integers beyond 2^53 arrive as `bigint`. The
 * payload is `any` unless a type is given, as in the official SDK.
 */
export interface RealtimeResponseEvent<T = any> {
  events: string[];
  channels: string[];
  timestamp: string;
  payload: T;
  subscriptions: string[];
}

export interface RealtimeSubscriptionUpdate {
  channels?: ChannelLike | ChannelLike[];
  queries?: QueryLike | (QueryLike | QueryLike[])[];
}

/** Returned by `Realtime.subscribe`; its methods may be destructured. */
export interface RealtimeSubscription {
  /** Removes this subscription; the socket stays open for the others. */
  unsubscribe(): Promise<void>;
  /** Replaces channels and/or queries; resolves once the server acknowledged the change. */
  update(changes: RealtimeSubscriptionUpdate): Promise<void>;
  /** `unsubscribe()`, and closes the socket if this was the last subscription. */
  close(): Promise<void>;
}

export interface RealtimeOptions {
  /** Milliseconds between pings once connected. Default 20000. */
  heartbeatInterval?: number;
  /** Milliseconds to wait for a pong before the socket is deemed dead and replaced. Default 10000. */
  pongTimeout?: number;
  /**
   * Milliseconds bounding the first reconnect delay (each delay is random below its bound, and
   * the bound doubles per socket lost before the server acknowledged what it restored). Default
   * 1000.
   */
  reconnectDelay?: number;
  /** Milliseconds the reconnect delay's bound never exceeds. Default 30000. */
  maxReconnectDelay?: number;
  /**
   * Milliseconds a hidden page keeps its socket; then it is closed cleanly and reopened (with
   * every subscription, the presence and an `onResync`) when the page is shown. Default: kept.
   */
  hiddenTimeout?: number;
  /**
   * Share one socket with the other tabs (and `Realtime`s) of this origin that use the same
   * endpoint, project, session and JWT: the tab that holds a Web Lock owns it, the others talk to
   * it over a BroadcastChannel. Where the browser lacks either (or a secure context), each keeps
   * a socket of its own and `state.sharing` says `unavailable`. Default `true`; `false` keeps a
   * socket of its own, as the official SDK does.
   */
  shareAcrossTabs?: boolean;
}

/**
 * `off`: a socket of its own (`shareAcrossTabs: false`); `unavailable`: asked, but the browser
 * cannot, so a socket of its own; `owner`: this tab holds the socket the others share;
 * `member`: it uses a socket another tab holds (or waits for one).
 */
export type RealtimeSharing = 'off' | 'unavailable' | 'owner' | 'member';

export interface RealtimePresenceCreate {
  status: string;
  presenceId?: string;
  permissions?: string[];
  metadata?: Record<string, unknown>;
}

/**
 * `idle`: no socket, nothing to connect for; `connecting`: a socket is opening; `connected`;
 * `reconnecting`: waiting `retryIn` ms before the next attempt; `closed`: after `disconnect()`,
 * or refused for good by the server (see `lastError`); `failed`: the engine stopped on an
 * internal error (`lastError`, kind `internal`) and is being restarted with every subscription,
 * or, after a second one within a minute, is not.
 */
export type RealtimeStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed' | 'failed';

export interface RealtimeState {
  status: RealtimeStatus;
  /**
   * Milliseconds until the next reconnect attempt while `reconnecting`, else `null`; also `null`
   * while the attempt waits for the browser's `online` event, or for a frozen, cached or (past
   * `hiddenTimeout`) hidden page to come back: then it happens at once.
   */
  retryIn: number | null;
  /** The last error reported through `onError`, if any. */
  lastError: RealtimeError | null;
  /**
   * `message`: subscriptions travel as messages (Appwrite 1.9.5+). `url`: the server answered
   * `Missing channels`, so it is older; channels and queries travel in the socket URL, and every
   * change of subscriptions opens a new socket (followed by `onResync`).
   */
  protocol: 'message' | 'url';
  sharing: RealtimeSharing;
  /** How many tabs use the socket (1 without sharing). */
  tabs: number;
}

/** The shared socket's counts, as its owner last reported them. */
export interface RealtimeSharedStats {
  connects: number;
  framesIn: number;
  bytesIn: number;
  framesOut: number;
  bytesOut: number;
}

/** `realtime.stats()`: counts since the `Realtime` was created. */
export interface RealtimeStats {
  connects: number;
  /** Connects after a lost socket. */
  reconnects: number;
  framesIn: number;
  bytesIn: number;
  framesOut: number;
  bytesOut: number;
  /** Callback invocations. */
  eventsDelivered: number;
  /** Callbacks that threw. */
  callbackErrors: number;
  /** Restarts of the engine after an internal error (see `failed`). */
  recoveries: number;
  /** Milliseconds from the last answered ping to its pong, or `null` before the first. */
  lastPingRoundTrip: number | null;
  /** Milliseconds spent connected, in all. */
  connectedFor: number;
  /** With `shareAcrossTabs`: the shared socket's counts; the others are this tab's own. */
  shared: RealtimeSharedStats | null;
}

/** One entry of `realtime.debugLog()`. */
export interface RealtimeLogEntry {
  /** ISO 8601. */
  time: string;
  /** `in`: from the server or the socket; `out`: sent or done by the client; `local`: reported. */
  direction: 'in' | 'out' | 'local';
  /**
   * The frame's `type`, or `connect`, `reconnect`, `opened`, `close`, `closed`, `state`,
   * `error`, `call` (a call of page code, without its values) or `trap`.
   */
  type: string;
  /** Routing facts only: no payloads, users, sessions or JWTs. */
  detail: string;
}

/** What a live view needs of a row: Appwrite's `$id` and `$updatedAt` (`$sequence` where present). */
export interface RealtimeRow {
  $id: string;
  $updatedAt: string;
  $sequence?: string | number;
}

/**
 * `loading` until the first result; `synced` when every change reported is applied;
 * `catching-up` while a list after a gap (or to refill a window) is on its way; `ended` after
 * `close()` or an error that ends the view (`error`).
 */
export type LiveViewStatus = 'loading' | 'synced' | 'catching-up' | 'ended';

/**
 * One change, applied in order: `removed` takes the row out at `oldIndex`, `added` puts it in at
 * `newIndex`, `modified` does both. The index that does not apply is -1.
 */
export interface LiveChange<T> {
  type: 'added' | 'modified' | 'removed';
  row: T;
  oldIndex: number;
  newIndex: number;
}

/** A list kept equal to the server's: see `Realtime.live`. */
export interface LiveView<T> {
  /** The rows, in the queries' order. */
  readonly rows: readonly T[];
  readonly status: LiveViewStatus;
  /** Why the view ended, if an error ended it. */
  readonly error: RealtimeError | null;
  /** Stops the view and its subscription. */
  close(): Promise<void>;
}

export type RealtimeErrorKind =
  | 'invalid' | 'server' | 'terminal' | 'protocol' | 'closed'
  | 'pong-timeout' | 'rate-limited' | 'callback' | 'environment' | 'internal';

/** Every error this package throws, rejects with or reports: an `Error` with the server's code. */
export class RealtimeError extends Error {
  private constructor();
  readonly name: 'RealtimeError';
  /** The server's error code (e.g. 1003, 1008, 401), or 0 when the error did not come from it. */
  readonly code: number;
  readonly kind: RealtimeErrorKind;
}

/**
 * The part of the official `appwrite` SDK's `Client` a connection reads: pass that client to
 * `new Realtime()` and its endpoint, project, session and JWT are used (and read again on every
 * connect, subscription change and heartbeat).
 */
export interface AppwriteClientLike {
  config: {
    endpoint?: string;
    endpointRealtime?: string;
    project?: string;
    session?: string;
    jwt?: string;
  };
}

/** Endpoint, project and credentials. Setters return a client sharing these settings. */
export class Client {
  constructor();
  /** The settings, as the official SDK's client holds them; `new Realtime(client)` reads them. */
  readonly config: {
    endpoint: string;
    endpointRealtime: string;
    project: string;
    session: string;
    jwt: string;
  };
  /** The REST endpoint (`http(s)://…/v1`); the realtime one is derived from it. */
  setEndpoint(endpoint: string): Client;
  /** The realtime endpoint (`ws(s)://…/v1`) when it differs from the REST one. */
  setEndpointRealtime(endpoint: string): Client;
  setProject(project: string): Client;
  /** The session secret; while connected, the socket re-authenticates in-band. `''` signs out. */
  setSession(session: string): Client;
  /** An account JWT, sent in the socket URL on the next connection. */
  setJWT(jwt: string): Client;
  /** The legacy API: subscribes and returns a function that unsubscribes. */
  subscribe<T = any>(
    channels: ChannelLike | ChannelLike[],
    callback: (event: RealtimeResponseEvent<T>) => void,
    queries?: (QueryLike | QueryLike[])[],
  ): () => void;
}

/** One multiplexed connection; the socket opens on the first subscription. */
export class Realtime {
  constructor(client: Client | AppwriteClientLike, options?: RealtimeOptions);
  /** Resolves once the server acknowledged the subscription; rejects with a `RealtimeError`. */
  subscribe<T = any>(
    channels: ChannelLike | ChannelLike[],
    callback: (event: RealtimeResponseEvent<T>) => void,
    queries?: (QueryLike | QueryLike[])[],
  ): Promise<RealtimeSubscription>;
  /**
   * A live view of a table's rows (`tablesdb.<db>.tables.<table>.rows`) or a collection's
   * documents (`databases.<db>.collections.<c>.documents`): equal to the REST list of `queries`
   * (`Query` filters, `orderAsc`/`orderDesc`, `limit`, `offset`, `cursorAfter`) through drops,
   * handovers and time offline. Resolves once the first result is in; rejects with a
   * `RealtimeError`. `onChange` gets each batch of changes, or none when only `status`
   * changed. Its code and wasm load on the first call.
   */
  live<T extends RealtimeRow = RealtimeRow>(
    channel: ChannelLike,
    queries: QueryLike[],
    onChange: (view: LiveView<T>, changes: LiveChange<T>[]) => void,
  ): Promise<LiveView<T>>;
  /** Closes the socket and drops every subscription. */
  disconnect(): Promise<void>;
  /** Upserts this connection's presence; the latest one is re-sent after every reconnect. */
  upsertPresence(params: RealtimePresenceCreate): Promise<void>;
  /** What the connection is doing now. */
  readonly state: RealtimeState;
  /** Called with the new state whenever its status changes. Returns a function removing it. */
  onStateChange(callback: (state: RealtimeState) => void): () => void;
  /** Called when the server's `connected` arrives. Returns a function removing the listener. */
  onOpen(callback: () => void): () => void;
  /** Called when a connected socket is lost or closed. Returns a function removing it. */
  onClose(callback: () => void): () => void;
  /** Every error the connection reports. Returns a function removing the listener. */
  onError(callback: (error: RealtimeError, code: number) => void): () => void;
  /**
   * Called after a reconnect once every subscription is acknowledged again. Events published
   * while the socket was down are lost (the server has no replay): re-fetch data here. Returns a
   * function removing the listener.
   */
  onResync(callback: () => void): () => void;
  /** Counters since this `Realtime` was created. */
  stats(): RealtimeStats;
  /**
   * The last 100 protocol events, oldest first, without payloads, users, sessions or JWTs: what
   * to attach to a bug report.
   */
  debugLog(): RealtimeLogEntry[];
  /**
   * Frees this object's wasm memory now instead of at garbage collection (subscriptions still
   * open keep their connection until they end); the object is unusable afterwards.
   */
  free(): void;
}
"#;
