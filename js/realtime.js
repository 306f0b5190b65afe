// `Realtime`: the connection class of the JS API, in front of the engine written in Rust
// (src/realtime.rs, `RealtimeEngine`). It lets the default entry go without top-level await:
// - while the wasm loads, every call waits for it, in the order made;
// - the listeners, the counters and the log live in the connection's hub from the start;
// - a first subscription opens the socket at once, subscribes on it and hands its events to the
//   callback, and the engine takes it over (js/early.js `openEarly`), so the handshake and the
//   first events do not wait for the wasm's download.
// With the wasm at hand (loaded, or embedded in the inline entry), the engine is made at once.
// Each connection keeps what page code asked of it (its subscriptions, as last updated, and its
// presence), so that after a trap (js/boundary.js) it can be restored on a new instance of the
// wasm, as after a lost socket: `state` reads `failed` meanwhile, and `onResync` follows.
//
// Copied beside the wasm-bindgen snippets by scripts/build, so the generated module is three
// directories up.
import { RealtimeEngine, reinstantiate } from '../../../appwrite_realtime_wasm.js';
import {
  CALLBACK_REFUSED, clientConfig, described, errorText, idText, realtimeOptions, subscriptionRefusal, texts,
} from './arguments.js';
import { onTrap } from './boundary.js';
import { discardEarly, openEarly, stopEarlyDeliveries } from './early.js';
import { createRealtimeError, refuse, toJson } from './exports.js';
import { parseExactly } from './frames.js';
import { addListener, connectionState, createHub, emit, logOf, record, statsOf } from './hub.js';
import { wasmLoading, wasmSources } from './loading.js';
import { closeSocket } from './sockets.js';

/** A second trap this soon after the first stops the restarts: the bug would likely come back at once. */
const RESTART_WINDOW = 60_000;

/** Resolves in a task of its own, so that tasks already queued (a socket's events among them) may run first. */
const nextTask = () => new Promise((resolve) => setTimeout(resolve));

/** Resolves once the page is idle (within 200 ms), or in the next task where there is no requestIdleCallback. */
const whenIdle = () =>
  new Promise((resolve) => (globalThis.requestIdleCallback ? requestIdleCallback(resolve, { timeout: 200 }) : setTimeout(resolve)));

/** Refuses what the engine would refuse of a subscription, also while the wasm loads. */
function checkSubscription(channels, callback, queries) {
  const refused = subscriptionRefusal(channels, callback, queries);
  if (refused) refuse(refused);
}

/** Every connection of the tab, held weakly, to hear of a trap. */
const connections = new Set();
const forgotten = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry((ref) => connections.delete(ref)) : undefined;
/** The connections with something to restore after a trap: held while they have it. */
const holding = new Set();
let trapWatched = false;
let lastTrap = -Infinity;
/** After a trap: the new instance of the wasm on its way, or why there is none. */
let restarted;

export class Realtime {
  #client;
  #options;
  #hub;
  #engine;
  /** While the wasm loads, or is restarted after a trap: resolves with the engine, or rejects with why there is none. */
  #waiting;
  /** Resolves once the wasm is loaded, before the engine starts; rejects with why it did not load. */
  #loaded;
  /** Subscriptions asked for while the wasm loads: the engine mints their ids in this order. */
  #subscriptionsWaiting = 0;
  /** Starts the engine as soon as the wasm is there, without waiting for the early socket or an idle moment. */
  #startNow = () => {};
  /** The subscriptions to restore after a trap: `{ channels, queries, callback, ended, ... }`. */
  #subscriptions = new Set();
  /** The presence to restore after a trap. */
  #presence;
  /** The RealtimeError of a trap, until the engine is restored. */
  #failure;
  /** Calls waiting for the engine, which later calls wait behind. */
  #queued = 0;

  constructor(client, options) {
    if (clientConfig(client) === undefined) refuse("Realtime needs a Client: this package's or the official appwrite SDK's");
    const read = realtimeOptions(options);
    if (typeof read === 'string') refuse(read);
    this.#client = client;
    this.#options = options;
    const hub = (this.#hub = createHub(read[5]));
    if (!trapWatched) {
      trapWatched = true;
      onTrap((error) => Realtime.#failAll(error));
    }
    const ref = new WeakRef(this);
    connections.add(ref);
    forgotten?.register(this, ref);
    const create = () => {
      try {
        return (this.#engine = new RealtimeEngine(client, options, hub));
      } catch (error) {
        if (!this.#failure) throw error; // it trapped: the restart makes it
      }
    };
    const loading = (this.#loaded = wasmLoading());
    if (!loading) {
      create();
      return;
    }
    // While the early socket serves the first subscription alone, the engine's start-up (about
    // 10 ms of code run for the first time, 40 ms on a slow phone) waits until the server has
    // answered that subscription, then for idle moments, so that it does not hold up the socket's
    // handshake and first events. Any call that needs the engine starts it at once.
    const needed = new Promise((resolve) => { this.#startNow = resolve; });
    const unlessNeeded = (wait) => Promise.race([needed.then(nextTask), wait()]);
    const settled = () => (hub.early ? hub.early.settled : Promise.resolve()).then(whenIdle);
    this.#waiting = loading
      .then(() => unlessNeeded(settled))
      .then(create)
      .then((engine) => unlessNeeded(whenIdle).then(() => engine));
  }

  /**
   * After a trap, every connection of the tab reads `failed` and tells its error listeners, and
   * is restored on a new instance of the wasm; after a second trap within a minute, none is.
   */
  static #failAll(error) {
    const now = performance.now();
    let reported = error;
    if (now - lastTrap < RESTART_WINDOW) {
      reported = createRealtimeError(`${error.message}, a second time within a minute: it is not restarted again`, 0, 'internal', error.cause);
      restarted = Promise.reject(reported);
    } else {
      restarted = reinstantiate();
    }
    lastTrap = now;
    for (const ref of connections) ref.deref()?.#fail(reported);
  }

  #fail(error) {
    const hub = this.#hub;
    this.#failure = error;
    this.#engine = undefined;
    this.#waiting = restarted.then(() => this.#restore());
    this.#waiting.catch((stopped) => {
      holding.delete(this);
      for (const subscription of this.#subscriptions) subscription.reject?.(stopped);
    });
    closeSocket(hub);
    record(hub, 'trap', error.message);
    emit(hub, 'state', this.state);
    this.#report(error);
  }

  /** A new engine on the new instance, with the subscriptions and presence of the trapped one. */
  #restore() {
    const hub = this.#hub;
    this.#failure = undefined;
    const engine = (this.#engine = new RealtimeEngine(this.#client, this.#options, hub));
    hub.counts.recoveries += 1;
    const acknowledged = [];
    for (const subscription of this.#subscriptions) acknowledged.push(this.#attach(subscription, engine));
    if (this.#presence !== undefined) acknowledged.push(engine.upsertPresence(this.#presence));
    if (acknowledged.length) Promise.allSettled(acknowledged).then(() => emit(hub, 'resync', undefined, undefined));
    return engine;
  }

  /**
   * `use(engine)` now, or once the wasm is loaded (or restarted), after the calls made before.
   * A call that trapped is made again on the restarted engine.
   */
  #withEngine(use, startNow = true) {
    if (this.#engine && !this.#queued) {
      const result = use(this.#engine);
      return this.#failure ? this.#waiting.then(use) : result;
    }
    if (startNow) this.#startNow();
    // Calls made while others wait run after them: the engine mints subscription ids in call
    // order, and the early socket used the first one.
    this.#queued += 1;
    const done = () => { this.#queued -= 1; };
    return this.#waiting.then((engine) => (done(), use(engine)), (error) => { done(); throw error; });
  }

  #keep(subscription) {
    this.#subscriptions.add(subscription);
    holding.add(this);
  }

  #forget(subscription) {
    subscription.ended = true;
    this.#subscriptions.delete(subscription);
    if (!this.#subscriptions.size && this.#presence === undefined) holding.delete(this);
  }

  /**
   * Subscribes `subscription` on `engine`, unless it is already. Its first acknowledgement, on
   * whichever engine, resolves what `subscribe` returned; a refusal ends it. Returns the
   * engine's promise, or nothing if the call trapped: the restart subscribes it again.
   */
  #attach(subscription, engine) {
    if (subscription.engine === engine) return subscription.attached;
    subscription.engine = engine;
    const { channels, callback, queries } = subscription;
    let attached;
    try {
      if (subscription.legacy) subscription.unsubscribe = engine.subscribeLegacy(channels, callback, queries);
      else attached = engine.subscribe(channels, callback, queries);
    } catch (error) {
      if (!this.#failure) throw error;
    }
    if (subscription.legacy || this.#failure) return undefined;
    subscription.object = undefined;
    subscription.attached = attached;
    attached.then(
      (object) => {
        if (subscription.attached !== attached) return;
        subscription.object = object;
        subscription.acknowledged = true;
        subscription.resolve(subscription.handle);
      },
      (error) => {
        if (subscription.attached !== attached) return;
        // A restored one, refused this time; one page code ended has nobody to tell.
        if (subscription.acknowledged && !subscription.ended) this.#report(error);
        this.#forget(subscription);
        subscription.reject(error);
      },
    );
    return attached;
  }

  /**
   * What `subscribe` resolves with: calls go to the subscription on the current engine, at once
   * or, during a restart, once it is there; a change is kept for a restart once the engine took it.
   */
  #handleOf(subscription) {
    const forward = (name, ...args) => {
      if (!this.#failure && subscription.object) return subscription.object[name](...args);
      return (this.#failure ? this.#waiting : Promise.resolve())
        .then(() => subscription.attached)
        .then((object) => object[name](...args));
    };
    const end = (name) => {
      record(this.#hub, 'call', described(name, subscription.channels));
      this.#forget(subscription);
      // During a restart there is nothing to end: a forgotten subscription is not restored.
      return this.#failure ? Promise.resolve() : forward(name);
    };
    return {
      unsubscribe: () => end('unsubscribe'),
      close: () => end('close'),
      update: (changes) => {
        record(this.#hub, 'call', 'update');
        return forward('update', changes).then((result) => {
          if (changes?.channels !== undefined) subscription.channels = changes.channels;
          if (changes?.queries !== undefined) subscription.queries = changes.queries;
          return result;
        });
      },
    };
  }

  /**
   * Opens the socket the engine will want, when the wasm is still on its way; the events of the
   * subscription go to `callback` until the engine takes over. That socket (js/early.js), if
   * it opened one.
   */
  #openEarly(channels, callback, queries) {
    if (this.#engine || this.#failure) return undefined;
    this.#subscriptionsWaiting += 1;
    const hub = this.#hub;
    // As the engine calls a callback (src/driver.rs `deliver`).
    const deliver = (data) => {
      try {
        callback(data);
      } catch (thrown) {
        this.#report(createRealtimeError(`A subscription callback threw: ${errorText(thrown)}`, 0, 'callback', thrown));
      }
    };
    if (openEarly(hub, this.#client, this.#subscriptionsWaiting, channels, queries, deliver)) {
      // Runs after the subscription waiting before it: an early socket still unclaimed then (the
      // subscription was refused, or the wasm failed) is closed.
      const discard = () => discardEarly(hub);
      this.#waiting.then(discard, discard);
      return hub.early;
    }
    this.#startNow(); // a second subscription, or none the early socket could take
  }

  subscribe(channels, callback, queries) {
    try {
      checkSubscription(channels, callback, queries);
    } catch (error) {
      return Promise.reject(error);
    }
    record(this.#hub, 'call', described('subscribe', channels, queries));
    // Ended at once by the handle, whose calls wait for the engine.
    const subscription = { channels, queries, callback: (event) => subscription.ended || callback(event), ended: false };
    const acknowledged = new Promise((resolve, reject) => Object.assign(subscription, { resolve, reject }));
    subscription.handle = this.#handleOf(subscription);
    const subscribed = this.#withEngine((engine) => {
      this.#keep(subscription);
      this.#attach(subscription, engine);
      return acknowledged;
    }, false);
    const early = this.#openEarly(channels, subscription.callback, queries);
    if (!early) return subscribed;
    // Once the wasm is loaded, the server's answer on the early socket resolves the promise,
    // which otherwise waits for the engine's start-up too (about 100 ms on Slow 4G); the engine
    // takes that answer over. A wasm that fails to load rejects the promise, as it would have.
    let handed = false;
    const call = (name, ...args) => (this.#startNow(), subscribed.then((handle) => handle[name](...args)));
    const handle = {
      unsubscribe: () => ((subscription.ended = true), call('unsubscribe')),
      update: (changes) => call('update', changes),
      close: () => ((subscription.ended = true), call('close')),
    };
    // Nobody awaits the engine's promise once the handle was given: its failure is reported,
    // unless page code ended the subscription (a disconnect() rejects it).
    subscribed.catch((error) => handed && !subscription.ended && this.#report(error));
    const answered = Promise.all([early.settled, this.#loaded]).then(([taken]) => {
      if (!taken) return subscribed;
      handed = true;
      return handle;
    });
    return Promise.race([subscribed, answered]);
  }

  /**
   * A live view: a table's rows or a collection's documents kept equal to the REST list of
   * `queries` (js/live.js, loaded with its wasm on the first call).
   */
  live(channel, queries, onChange) {
    record(this.#hub, 'call', described('live', channel, queries));
    const shared = { createRealtimeError, errorText, idText, parseExactly, texts, toJson, wasmSources };
    return import('./live.js').then(({ openLive }) =>
      openLive(shared, this, this.#client, channel, queries, onChange, (error) => this.#report(error)));
  }

  /** The legacy `client.subscribe` (js/client.js): returns the function that unsubscribes. */
  subscribeLegacy(channels, callback, queries) {
    checkSubscription(channels, callback, queries);
    record(this.#hub, 'call', described('client.subscribe', channels, queries));
    const subscription = { channels, queries, callback, legacy: true, ended: false };
    const start = (engine) => {
      if (subscription.ended) return;
      this.#keep(subscription);
      this.#attach(subscription, engine);
    };
    if (this.#engine && !this.#queued) {
      start(this.#engine);
      return () => this.#endLegacy(subscription);
    }
    this.#withEngine(start, false).catch((error) => this.#report(error));
    const early = this.#openEarly(channels, callback, queries);
    return () => {
      stopEarlyDeliveries(early);
      this.#startNow();
      this.#endLegacy(subscription);
    };
  }

  #endLegacy(subscription) {
    record(this.#hub, 'call', described('unsubscribe', subscription.channels));
    this.#forget(subscription);
    subscription.unsubscribe?.();
  }

  disconnect() {
    record(this.#hub, 'call', 'disconnect');
    if (!this.#engine) stopEarlyDeliveries(this.#hub.early);
    for (const subscription of this.#subscriptions) this.#forget(subscription);
    this.#presence = undefined;
    holding.delete(this);
    return this.#withEngine((engine) => engine.disconnect());
  }

  upsertPresence(params) {
    record(this.#hub, 'call', 'upsertPresence');
    return this.#withEngine((engine) => engine.upsertPresence(params)).then((result) => {
      this.#presence = params;
      holding.add(this);
      return result;
    });
  }

  /** Frees the engine's wasm memory now rather than at garbage collection. */
  free() {
    this.#withEngine((engine) => engine.free());
  }

  get state() {
    if (this.#failure) return connectionState(this.#hub, 'failed', -1, this.#failure, false);
    if (this.#engine) return this.#engine.state;
    const early = this.#hub.early;
    const connected = early?.sent && early.socket.readyState === WebSocket.OPEN;
    return connectionState(this.#hub, connected ? 'connected' : early ? 'connecting' : 'idle', -1, null, false);
  }

  stats() {
    return this.#engine ? this.#engine.stats() : statsOf(this.#hub, 0, -1);
  }

  debugLog() {
    return logOf(this.#hub);
  }

  onStateChange(callback) {
    return this.#listen('state', callback);
  }
  onOpen(callback) {
    return this.#listen('open', callback);
  }
  onClose(callback) {
    return this.#listen('close', callback);
  }
  onError(callback) {
    return this.#listen('error', callback);
  }
  onResync(callback) {
    return this.#listen('resync', callback);
  }

  /** What no caller is left to throw to: to the error listeners, or the console without one, as the engine reports. */
  #report(error) {
    if (!emit(this.#hub, 'error', error, error?.code ?? 0)) console.error(error);
  }

  #listen(kind, callback) {
    if (typeof callback !== 'function') refuse(CALLBACK_REFUSED);
    return addListener(this.#hub, kind, callback);
  }
}
