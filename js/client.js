// `Client`: the official SDK's client, as far as realtime needs it. Its `config` holds what the
// official one's holds and is read and watched the same way (watchChanges in js/watch.js):
// `new Realtime(client)` takes either client, and hears of either's changes at once.
//
// Copied beside the wasm-bindgen snippets by scripts/build.
import { idText } from './arguments.js';
import { refuse } from './exports.js';
import { Realtime } from './realtime.js';

/** An endpoint with one of `schemes`; numbers and the like are read with String(). */
function endpoint(value, schemes, invalid) {
  const text = idText(value) || refuse('Endpoint must be a valid string');
  return schemes.some((scheme) => text.startsWith(scheme)) ? text : refuse(invalid + text);
}

/** A setting that `undefined`, `null` or `''` clears. */
const setting = (value, refused) => (value == null ? '' : (idText(value) ?? refuse(refused)));

export class Client {
  config = { endpoint: 'https://cloud.appwrite.io/v1', endpointRealtime: '', project: '', session: '', jwt: '' };
  #legacy;

  #set(changes) {
    Object.assign(this.config, changes);
    return this;
  }

  /** The REST endpoint (`http(s)://…/v1`); the realtime one is derived from it. */
  setEndpoint(value) {
    const rest = endpoint(value, ['http://', 'https://'], 'Invalid endpoint URL: ');
    return this.#set({ endpoint: rest, endpointRealtime: rest.replace('https://', 'wss://').replace('http://', 'ws://') });
  }

  /** The realtime endpoint (`ws(s)://…/v1`) when it differs from the REST one. */
  setEndpointRealtime(value) {
    return this.#set({ endpointRealtime: endpoint(value, ['ws://', 'wss://'], 'Invalid realtime endpoint URL: ') });
  }

  /** `undefined` or `null` clears the project; the next subscription then fails with "Missing project ID". */
  setProject(value) {
    return this.#set({ project: setting(value, 'Project ID must be a string') });
  }

  setSession(value) {
    return this.#set({ session: setting(value, 'Session must be a string') });
  }

  setJWT(value) {
    return this.#set({ jwt: setting(value, 'JWT must be a string') });
  }

  /** The legacy API: subscribes on a connection of its own and returns the unsubscribe function. */
  subscribe(channels, callback, queries) {
    this.#legacy ??= new Realtime(this);
    return this.#legacy.subscribeLegacy(channels, callback, queries);
  }
}
