//! Hand-written TypeScript for what wasm-bindgen cannot express: generics, option bags, the
//! error shape, and the subscription object. Merged with the generated declarations.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPESCRIPT: &str = r#"
/** Any channel: a string or a step of the `Channel` builders. */
export type ChannelLike =
  | string
  | DatabaseChannel | CollectionChannel | DocumentChannel
  | TablesDbChannel | TableChannel | RowChannel
  | BucketChannel | FileChannel
  | FunctionChannel | ExecutionChannel
  | TeamChannel | MembershipChannel | PresenceChannel
  | ResolvedChannel;

/** Channels that take `create()`, `update()` and `delete()`. */
export type ActionableChannel =
  DocumentChannel | RowChannel | FileChannel | TeamChannel | MembershipChannel | PresenceChannel;

/** A value a query compares with. */
export type QueryScalar = string | number | boolean | bigint | null;

/** What a callback receives for every event. Integers beyond 2^53 arrive as `bigint`. */
export interface RealtimeResponseEvent<T = Record<string, unknown>> {
  events: string[];
  channels: string[];
  timestamp: string;
  payload: T;
  subscriptions: string[];
}

export interface RealtimeSubscriptionUpdate {
  channels?: ChannelLike | ChannelLike[];
  queries?: string[];
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
}

export interface RealtimePresenceCreate {
  status: string;
  presenceId?: string;
  permissions?: string[];
  metadata?: Record<string, unknown>;
}

export type RealtimeErrorKind =
  | 'invalid' | 'server' | 'terminal' | 'protocol' | 'closed'
  | 'pong-timeout' | 'rate-limited' | 'callback' | 'environment';

/** Every error this package throws, rejects with or reports: an `Error` with the server's code. */
export class RealtimeError extends Error {
  private constructor();
  readonly name: 'RealtimeError';
  /** The server's error code (e.g. 1003, 1008, 401), or 0 when the error did not come from it. */
  readonly code: number;
  readonly kind: RealtimeErrorKind;
}

/** One multiplexed connection; the socket opens on the first subscription. */
export class Realtime {
  constructor(client: Client, options?: RealtimeOptions);
  /** Resolves once the server acknowledged the subscription; rejects with a `RealtimeError`. */
  subscribe<T = Record<string, unknown>>(
    channels: ChannelLike | ChannelLike[],
    callback: (event: RealtimeResponseEvent<T>) => void,
    queries?: string[],
  ): Promise<RealtimeSubscription>;
  /** Closes the socket and drops every subscription. */
  disconnect(): Promise<void>;
  /** Upserts this connection's presence; the latest one is re-sent after every reconnect. */
  upsertPresence(params: RealtimePresenceCreate): Promise<void>;
  onOpen(callback: () => void): void;
  onClose(callback: () => void): void;
  onError(callback: (error: RealtimeError, code: number) => void): void;
  /**
   * Called after a reconnect once every subscription is acknowledged again. Events published
   * while the socket was down are lost (the server has no replay): re-fetch data here.
   */
  onResync(callback: () => void): void;
  free(): void;
}

export interface Client {
  /** The legacy API: subscribes and returns a function that unsubscribes. */
  subscribe<T = Record<string, unknown>>(
    channels: ChannelLike | ChannelLike[],
    callback: (event: RealtimeResponseEvent<T>) => void,
    queries?: string[],
  ): () => void;
}
"#;
