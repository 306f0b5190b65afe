// Live views (`realtime.live()`): a table's rows or a collection's documents kept equal to the
// REST list of the same queries. The state machine is Rust (crates/core/src/live/), in a wasm
// module of its own (crates/live/) that this chunk loads on the first live(); this module makes
// the REST lists, keeps one timer per view and calls page code.
//
// A view subscribes to its channel unfiltered (the server sends nothing for a row that stops
// matching a filtered subscription), lists once the subscription is acknowledged, and lists
// again after every gap the connection reports (`onResync`).
//
// Copied beside the wasm-bindgen snippets by scripts/build, so the package's root is three
// directories up.
import init, { initSync, LiveCore } from '../../../appwrite_realtime_live.js';

// What this chunk uses of the entry's modules, handed over by js/realtime.js rather than
// imported: a bundler that splits code (esbuild --splitting) would otherwise move those modules
// into a third chunk that the entry loads in series, one round trip before the first event.
let createRealtimeError, errorText, idText, parseExactly, texts, toJson, wasmSources;
const refuse = (message) => {
  throw createRealtimeError(message, 0, 'invalid');
};

const STATUSES = ['loading', 'synced', 'catching-up'];
const KINDS = ['added', 'modified', 'removed'];

let loaded;

/**
 * The live module, loaded once: its .wasm at the URL the entry gave, or the copy embedded in JS
 * that the entry offers (js/loading.js): instead for the inline entry, where the .wasm does not
 * load for the development one.
 */
function loadLive() {
  const { liveUrl, live: embedded, only } = wasmSources();
  const fromCopy = async () => initSync({ module: (await embedded()).wasmBytes() });
  const fromUrl = () => (liveUrl ? init({ module_or_path: liveUrl }) : Promise.reject(new Error('no URL for it')));
  loaded ??= (only ? fromCopy() : fromUrl().catch((cause) => {
    if (!embedded) throw cause;
    return fromCopy();
  })).catch((cause) => {
    loaded = undefined;
    throw createRealtimeError(
      `The live views' .wasm did not load (${errorText(cause)}). esbuild, Rollup: copy it beside the bundle (cp node_modules/appwrite-realtime-wasm/*.wasm <output folder>)`,
      0, 'environment', cause,
    );
  });
  return loaded;
}

/** The REST endpoint and the headers the official SDK sends with a request of `client`. */
function restOf(client) {
  const config = client.config;
  const endpoint = idText(config?.endpoint) ?? '';
  const headers = {};
  const sdkHeaders = client.headers; // the official SDK's client keeps them
  if (typeof sdkHeaders === 'object' && sdkHeaders !== null) {
    for (const [name, value] of Object.entries(sdkHeaders)) if (typeof value === 'string' && value) headers[name] = value;
  } else {
    const set = (name, value) => { if (idText(value)) headers[name] = idText(value); };
    set('X-Appwrite-Project', config?.project);
    set('X-Appwrite-Session', config?.session);
    set('X-Appwrite-JWT', config?.jwt);
  }
  try {
    const fallback = globalThis.localStorage?.getItem('cookieFallback');
    if (fallback) headers['X-Fallback-Cookies'] = fallback;
  } catch {
    // no storage here (a sandboxed frame)
  }
  return { endpoint, headers };
}

/** A view's calls into its core: a throw there (a trap) ends the view instead of page code's call. */
class LiveView {
  #core;
  #client;
  #queries;
  #onChange;
  #report;
  #subscription;
  #stopResync;
  #timer;
  #lists = new Map();
  /** The rows as page code reads them: a new array for each batch of changes, so a framework sees it change. */
  #rows = [];
  #loaded;
  #settle;
  status = 'loading';
  /** Why the view ended, if it did. */
  error = null;

  constructor(core, client, queries, onChange, report, settle) {
    this.#core = core;
    this.#client = client;
    this.#queries = queries;
    this.#onChange = onChange;
    this.#report = report;
    this.#settle = settle;
  }

  /** The rows, in the queries' order: the objects page code receives in changes. */
  get rows() {
    return this.#rows;
  }

  async start(realtime, channel) {
    const subscription = await realtime.subscribe(channel, (event) => this.#event(event));
    if (this.status === 'ended') {
      subscription.close();
      return;
    }
    this.#subscription = subscription;
    this.#stopResync = realtime.onResync(() => this.#drive((core) => core.gap()));
    this.#drive((core) => core.start());
  }

  close() {
    if (this.status === 'ended' && !this.#core) return Promise.resolve();
    return this.#end(null);
  }

  #event(event) {
    const payload = event?.payload;
    this.#drive((core) => {
      const refused = core.event(event.events ?? [], toJson(payload ?? null), payload);
      if (refused) this.#report(createRealtimeError(refused, 0, 'protocol'));
    });
  }

  /** Calls the core, or ends the view if it throws. */
  #call(use) {
    try {
      return this.#core && use(this.#core);
    } catch (thrown) {
      this.#end(createRealtimeError(`The live view stopped: ${errorText(thrown)}`, 0, 'internal', thrown));
      return undefined;
    }
  }

  /** `use(core)`, then what the core asks for. */
  #drive(use) {
    const outputs = this.#call((core) => (use(core), core.drain()));
    if (!outputs) return;
    const before = this.status;
    const changes = [];
    for (const output of outputs) {
      switch (output[0]) {
        case 0:
          this.#list(output[1]);
          break;
        case 1:
          this.#rows = this.#call((core) => Array.from(core.rows())) ?? [];
          this.#settle(null);
          break;
        case 2: {
          // Replayed here rather than read back from the core: copying 1,000 references costs
          // less than bringing 1,000 of them across the boundary (55 µs an event, bench/live.mjs).
          const rows = (this.#rows = this.#rows.slice());
          for (let i = 1; i < output.length; i += 4) {
            const change = { type: KINDS[output[i]], row: output[i + 1], oldIndex: output[i + 2], newIndex: output[i + 3] };
            if (change.oldIndex >= 0) rows.splice(change.oldIndex, 1);
            if (change.newIndex >= 0) rows.splice(change.newIndex, 0, change.row);
            changes.push(change);
          }
          break;
        }
        case 3:
          this.status = STATUSES[output[1]];
          break;
        case 4:
          this.#report(createRealtimeError(`A live view's list failed and is made again: ${output[3]}`, output[1], output[2]));
          break;
        case 5:
          this.#end(createRealtimeError(output[3], output[1], output[2]));
          return;
      }
    }
    // Told once the whole batch is applied, so page code reads the status it left (a catch-up's
    // changes come with `synced`); a status change alone (a catch-up that found nothing new) too.
    if (changes.length || (this.status !== before && before !== 'loading')) this.#tell(changes);
    this.#arm();
  }

  #tell(changes) {
    try {
      this.#onChange(this, changes);
    } catch (thrown) {
      this.#report(createRealtimeError(`A live view's onChange threw: ${errorText(thrown)}`, 0, 'callback', thrown));
    }
  }

  /** One timer: the core's retry deadline. */
  #arm() {
    clearTimeout(this.#timer);
    const deadline = this.#call((core) => core.deadline());
    if (deadline >= 0) {
      this.#timer = setTimeout(() => this.#drive((core) => core.handleTimeout()), Math.max(0, deadline - performance.now()));
    }
  }

  async #list(request) {
    const controller = new AbortController();
    this.#lists.set(request, controller);
    let status = 0;
    let body;
    try {
      const { endpoint, headers } = restOf(this.#client);
      const path = this.#core.path();
      const url = new URL(endpoint + path);
      this.#queries.forEach((query, index) => url.searchParams.append(`queries[${index}]`, query));
      const response = await fetch(url, { headers, credentials: 'include', signal: controller.signal });
      status = response.status;
      body = await response.text();
    } catch (thrown) {
      status = 0;
      body = errorText(thrown);
    }
    if (controller.signal.aborted) return;
    this.#lists.delete(request);
    let rows = [];
    if (status >= 200 && status < 300) {
      try {
        rows = parseExactly(body)?.[this.#core.rowsMember()] ?? [];
      } catch {
        // the core says the answer is not JSON
      }
    }
    this.#drive((core) => {
      const refused = core.listed(request, status, body, Array.isArray(rows) ? rows : []);
      if (refused) this.#report(createRealtimeError(refused, 0, 'protocol'));
    });
  }

  #end(error) {
    const core = this.#core;
    this.#core = undefined;
    this.status = 'ended';
    this.error = error;
    clearTimeout(this.#timer);
    for (const controller of this.#lists.values()) controller.abort();
    this.#lists.clear();
    this.#stopResync?.();
    try {
      core?.free();
    } catch {
      // a core that trapped has nothing left to free
    }
    if (error) {
      if (!this.#settle(error)) this.#report(error);
    }
    return this.#subscription ? this.#subscription.close() : Promise.resolve();
  }
}

/**
 * `realtime.live(channel, queries, onChange)`: resolves with the view once its first result is
 * in, or rejects with a RealtimeError. `report` tells the connection's error listeners.
 */
export async function openLive(shared, realtime, client, channel, queries, onChange, report) {
  ({ createRealtimeError, errorText, idText, parseExactly, texts, toJson, wasmSources } = shared);
  if (typeof onChange !== 'function') refuse('live() needs an onChange function');
  const channelText = texts(channel, false);
  if (!channelText || channelText.length !== 1) refuse('live() takes one channel: a table\'s rows or a collection\'s documents');
  const queryTexts = queries === undefined ? [] : texts(queries, true) ?? refuse('live() takes a list of queries made by Query.*');
  await loadLive();
  let core;
  try {
    core = new LiveCore(channelText[0], queryTexts);
  } catch (message) {
    refuse(errorText(message));
  }
  let settled = false;
  let resolve;
  let reject;
  const first = new Promise((res, rej) => { resolve = res; reject = rej; });
  // Resolves or rejects the promise live() returned; false once it was.
  const settle = (error) => {
    if (settled) return false;
    settled = true;
    if (error) reject(error);
    else resolve(view);
    return true;
  };
  const view = new LiveView(core, client, queryTexts, onChange, report, settle);
  view.start(realtime, channelText[0]).catch((error) => {
    if (!settle(error)) report(error);
    view.close();
  });
  return first;
}
