// The connection's socket: a WebSocket, or where the connection shares across tabs (the
// default), a stand-in that js/tabs.js joins to the socket the origin's tabs share; or the one
// js/early.js opened while the wasm loaded, which openSocket claims.

import { readFrame } from './frames.js';
import { record } from './hub.js';
import { join } from './tabs.js';

// Plain JS rather than js_sys::global(), which brings four global lookups into the glue.
export const hasWebSocket = () => typeof WebSocket === 'function';

/**
 * Hands every text frame of `socket` to `onFrame(envelope, data)`, one call into wasm each,
 * after counting and logging it in `hub`.
 */
export function listen(socket, hub, onFrame) {
  socket.onmessage = (event) => {
    const [envelope, data] = readFrame(event.data, hub);
    onFrame(envelope, data);
  };
}

export const shares = (hub) => hub.sharing !== 'off' && hub.sharing !== 'unavailable';

/**
 * An object the driver uses like a WebSocket, joined to the group of `url` and `session`
 * (js/tabs.js): it sends only after `onopen`, and `readyState` says whether it is open.
 */
export function sharedSocket(url, session, hub) {
  // Refused at once, as the WebSocket constructor refuses it: the socket is opened later.
  const parsed = new URL(url);
  if (!/^wss?:$/.test(parsed.protocol) || parsed.hash) throw new SyntaxError(`The URL '${url}' is invalid for a WebSocket`);
  const socket = {
    readyState: 0,
    send: (text) => socket.shared?.send(text),
    close: (code) => {
      socket.closed = true;
      socket.readyState = 3;
      socket.shared?.close(code);
    },
  };
  join(socket, url, session ?? '', hub);
  return socket;
}

/**
 * The connection's socket to `url`: the one opened early for it (openEarly), a WebSocket, or
 * where the connection shares, a socket of the group of `url` and `session`.
 */
export function openSocket(url, session, hub) {
  // The driver has one socket at a time: the last opened is the one to close after a trap.
  hub.socket = claimEarly(hub, url) ?? (shares(hub) ? sharedSocket(url, session, hub) : new WebSocket(url));
  return hub.socket;
}

/** Closes the connection's socket with no handler left to call, as src/socket.rs drops one: its engine trapped. */
export function closeSocket(hub) {
  const socket = hub.socket;
  if (!socket) return;
  socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
  socket.close(1000);
  hub.socket = undefined;
}

/**
 * The early socket, if it was opened for `url`, even closed: the engine then learns of the close
 * as of any lost socket, and restores the subscription with an `onResync`, for its promise may
 * have resolved and events have come. The caller sets its handlers in this task; the events that
 * came before reach them next, ahead of any later event.
 */
function claimEarly(hub, url) {
  const early = hub.early;
  hub.early = undefined;
  if (!early) return undefined;
  if (early.url !== url) {
    early.socket.close();
    return undefined;
  }
  if (early.sent) {
    hub.earlySent = early.sent.row;
    // Logged once the connection that sent them is.
    record(hub, 'send', early.sent.text);
    if (early.sent.authentication) {
      hub.earlySession = early.sent.session;
      record(hub, 'send', early.sent.authentication);
    }
  }
  queueMicrotask(() => {
    for (const event of early.events) {
      if (event.type === 'delivered') readFrame(event.data, hub);
      else early.socket[`on${event.type}`]?.(event);
    }
  });
  return early.socket;
}
