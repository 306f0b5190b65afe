// `Realtime`: the connection class of the JS API, in front of the engine written in Rust
// (src/realtime.rs, `RealtimeEngine`). It lets the default entry go without top-level await:
// - while the wasm loads, every call waits for it, in the order made;
// - the listeners, the counters and the log live in the connection's hub from the start;
// - a first subscription opens the socket at once, subscribes on it and hands its events to the
//   callback, and the engine takes it over (js/interop.js `openEarly`), so the handshake and the
//   first events do not wait for the wasm's download.
// With the wasm at hand (loaded, or embedded in the inline entry), the engine is made at once.
//
// Copied beside the wasm-bindgen snippets by scripts/build, so the generated module is three
// directories up.
import { RealtimeEngine } from '../../../appwrite_realtime_wasm.js';
import { createRealtimeError, refuse } from './exports.js';
import {
  addListener, clientConfig, connectionState, createHub, discardEarly, emit, errorText, logOf, openEarly, realtimeOptions, statsOf,
  stopEarlyDeliveries, texts,
} from './interop.js';
import { wasmLoading } from './loading.js';

const CALLBACK_REFUSED = 'The callback must be a function';

/** Resolves in a task of its own, so that tasks already queued (a socket's events among them) may run first. */
const nextTask = () => new Promise((resolve) => setTimeout(resolve));

/** Resolves once the page is idle (within 200 ms), or in the next task where there is no requestIdleCallback. */
const whenIdle = () =>
  new Promise((resolve) => (globalThis.requestIdleCallback ? requestIdleCallback(resolve, { timeout: 200 }) : setTimeout(resolve)));

/**
 * Refuses what the engine would refuse of a subscription (src/args.rs), so that it is refused at
 * the call, also while the wasm loads.
 */
function checkSubscription(channels, callback, queries) {
  const list = texts(channels, false) ?? refuse('Channels must be strings or Channel builders');
  if (!list.length) refuse('At least one channel is required');
  if (!list.every((channel) => channel.trim())) refuse('Channel is required');
  if (typeof callback !== 'function') refuse(CALLBACK_REFUSED);
  if (queries != null && !texts(queries, true)) refuse('Queries must be strings or Query builders');
}

export class Realtime {
  #client;
  #hub;
  #engine;
  /** While the wasm loads: resolves with the engine, or rejects with why there is none. */
  #waiting;
  /** Resolves once the wasm is loaded, before the engine starts; rejects with why it did not load. */
  #loaded;
  /** Subscriptions asked for while the wasm loads: the engine mints their ids in this order. */
  #subscriptionsWaiting = 0;
  /** Starts the engine as soon as the wasm is there, without waiting for the early socket or an idle moment. */
  #startNow = () => {};

  constructor(client, options) {
    if (clientConfig(client) === undefined) refuse("Realtime needs a Client: this package's or the official appwrite SDK's");
    const read = realtimeOptions(options);
    if (typeof read === 'string') refuse(read);
    this.#client = client;
    const hub = (this.#hub = createHub(read[5]));
    const create = () => (this.#engine = new RealtimeEngine(client, options, hub));
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

  /** `use(engine)` now, or once the wasm is loaded, after the calls made before. */
  #withEngine(use, startNow = true) {
    if (this.#engine) return use(this.#engine);
    if (startNow) this.#startNow();
    return this.#waiting.then(use);
  }

  /**
   * Opens the socket the engine will want, when the wasm is still on its way; the events of the
   * subscription go to `callback` until the engine takes over. That socket (js/interop.js), if
   * it opened one.
   */
  #openEarly(channels, callback, queries) {
    if (this.#engine) return undefined;
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
    // Ended at once by the handle below, whose calls wait for the engine.
    let ended = false;
    const guarded = (event) => ended || callback(event);
    const subscribed = this.#withEngine((engine) => engine.subscribe(channels, guarded, queries), false);
    const early = this.#openEarly(channels, guarded, queries);
    if (!early) return subscribed;
    // Once the wasm is loaded, the server's answer on the early socket resolves the promise,
    // which otherwise waits for the engine's start-up too (about 100 ms on Slow 4G); the engine
    // takes that answer over. A wasm that fails to load rejects the promise, as it would have.
    let handed = false;
    const call = (name, ...args) => (this.#startNow(), subscribed.then((subscription) => subscription[name](...args)));
    const handle = {
      unsubscribe: () => ((ended = true), call('unsubscribe')),
      update: (changes) => call('update', changes),
      close: () => ((ended = true), call('close')),
    };
    // Nobody awaits the engine's promise once the handle was given: its failure is reported.
    subscribed.catch((error) => handed && this.#report(error));
    const answered = Promise.all([early.settled, this.#loaded]).then(([taken]) => {
      if (!taken) return subscribed;
      handed = true;
      return handle;
    });
    return Promise.race([subscribed, answered]);
  }

  /** The legacy `client.subscribe` (js/client.js): returns the function that unsubscribes. */
  subscribeLegacy(channels, callback, queries) {
    checkSubscription(channels, callback, queries);
    if (this.#engine) return this.#engine.subscribeLegacy(channels, callback, queries);
    let unsubscribe;
    let cancelled = false;
    this.#waiting
      .then((engine) => {
        if (!cancelled) unsubscribe = engine.subscribeLegacy(channels, callback, queries);
      })
      .catch((error) => this.#report(error));
    const early = this.#openEarly(channels, callback, queries);
    return () => {
      cancelled = true;
      stopEarlyDeliveries(early);
      this.#startNow();
      unsubscribe?.();
    };
  }

  disconnect() {
    if (!this.#engine) stopEarlyDeliveries(this.#hub.early);
    return this.#withEngine((engine) => engine.disconnect());
  }

  upsertPresence(params) {
    return this.#withEngine((engine) => engine.upsertPresence(params));
  }

  /** Frees the engine's wasm memory now rather than at garbage collection. */
  free() {
    this.#withEngine((engine) => engine.free());
  }

  get state() {
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
