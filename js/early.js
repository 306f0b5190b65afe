// The early socket. While the wasm loads, a first subscription opens the socket the engine will
// ask for (the URL as the core writes it for a server of 1.9.5 or later), so that the handshake
// and the server's `connected` overlap the download. Once `connected` came, it also sends that
// subscription's `subscribe` row, under the id the engine gives it (every subscribe call takes
// the next one), and once the server answered the row, the `authentication` the engine would
// send (for a session set on the client or kept by the official SDK in localStorage, when
// `connected` names no user). It hands that row's events to the subscription's callback as they
// come, decoded as the engine would (readFrame): the first event does not wait for the wasm. The
// socket's frames wait in the hub until the engine claims it (openSocket, js/sockets.js) and
// adopts what was sent (takeEarlySent, takeEarlySession); those already delivered are only
// counted and logged then. An early socket that its subscription does not claim (the engine
// refused it) is closed, and its row with it (js/realtime.js).

import { clientSettings, fallbackSession, joinItems, texts } from './arguments.js';
import { readFrame } from './frames.js';
import { hasWebSocket, sharedSocket, shares } from './sockets.js';

/** Bytes a row's channels may take here, well within the core's limit for one subscription. */
const EARLY_ROW_LIMIT = 16_384;

/** How long the engine's start-up waits at most for the server to answer the early row (ms). */
const EARLY_SETTLE_LIMIT = 2_000;

/**
 * Opens the early socket for `client`'s settings, for the subscription made `ordinal`-th on this
 * connection, whose events go to `deliver(data)` until the engine takes over; whether it did.
 */
export function openEarly(hub, client, ordinal, channels, queries, deliver) {
  const [realtime, project, clientSession, jwt] = clientSettings(client) ?? [];
  if (hub.early || !hasWebSocket() || !project || !/^wss?:\/\//.test(realtime)) return false;
  const url = `${realtime}/realtime?project=${encodeURIComponent(project)}${jwt ? `&jwt=${encodeURIComponent(jwt)}` : ''}`;
  // The session the engine would authenticate with: the client's, or the official SDK's
  // fallback. A socket of its own reads it while the handshake is in flight (a page's first
  // localStorage read loads the origin's storage: 1.5 to 17 ms measured); a shared one first,
  // for it names the group to join.
  const shared = shares(hub);
  let session = shared ? clientSession || fallbackSession(project) : undefined;
  let socket;
  try {
    socket = shared ? sharedSocket(url, session, hub) : new WebSocket(url);
  } catch {
    return false;
  }
  session ??= clientSession || fallbackSession(project);
  // The engine keeps the first of repeated channels, as Set does.
  const subscriptionId = `${hub.idPrefix}-${ordinal}`;
  const rowChannels = [...new Set(texts(channels, false) ?? [])];
  const early = { url, socket, events: [], sent: undefined, deliver };
  // Settled once the server answered the row (or the socket closed, or the row cannot go out):
  // the engine's start-up waits for it (js/realtime.js), or for EARLY_SETTLE_LIMIT at most. With
  // true when the server took the row, which the subscription's promise may then say.
  early.settled = new Promise((resolve) => { early.settle = resolve; });
  setTimeout(early.settle, EARLY_SETTLE_LIMIT);
  socket.onopen = (event) => early.events.push(event);
  socket.onclose = (event) => {
    early.events.push(event);
    early.settle();
  };
  const rowQueries = texts(queries ?? [], true) ?? [];
  const row = [subscriptionId, ...rowChannels, '\u0002', ...rowQueries];
  const plain = (list) => list.every((text) => !/[\u0001\u0002]/.test(text));
  const sendable = rowChannels.length > 0 && plain(rowChannels) && plain(rowQueries) &&
    JSON.stringify(row).length <= EARLY_ROW_LIMIT;
  socket.onmessage = (event) => {
    // An event of the row is one the engine would route to this subscription alone: the row's
    // id among those the server names, and a channel of the row among the event's.
    const [route, data] = early.sent && early.deliver ? readFrame(event.data) : [];
    const delivered = route?.[0] === '\u0002' && data.subscriptions?.includes(subscriptionId) &&
      data.channels.some((channel) => rowChannels.includes(channel));
    early.events.push(delivered ? { type: 'delivered', data: event.data } : event);
    if (delivered) {
      hub.eventsDeliveredEarly += 1;
      early.deliver(data);
      return;
    }
    const frame = readJson(event.data);
    if (!early.sent) {
      if (frame?.type !== 'connected') return;
      if (!sendable) return early.settle();
      const text = JSON.stringify({ type: 'subscribe', data: [{ subscriptionId, channels: rowChannels, queries: rowQueries }] });
      socket.send(text);
      // As the engine does: the session goes in-band when `connected` names no user.
      early.sent = { row, text, session: frame.data?.user ? '' : session };
      return;
    }
    const answer = frame?.type === 'response' && frame.data?.to === 'subscribe' ? frame.data : undefined;
    // After the row's answer, as the engine does: a server may drop a connection that
    // authenticates with no subscription.
    if (answer && early.sent.session && !early.sent.authentication) {
      early.sent.authentication = JSON.stringify({ type: 'authentication', data: { session: early.sent.session } });
      socket.send(early.sent.authentication);
    }
    early.settle(answer?.success === true); // the row's answer, or a frame only the engine handles
  };
  hub.early = early;
  return true;
}

function readJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Ends the early socket's deliveries, if there is one: its caller went away. */
export function stopEarlyDeliveries(early) {
  if (early) early.deliver = undefined;
}

/** The row sent on the socket openSocket just handed over, once: `[wire id, ...channels, '\u0002', ...queries]` joined by joinItems. */
export function takeEarlySent(hub) {
  const sent = hub.earlySent;
  hub.earlySent = undefined;
  return sent && joinItems(sent);
}

/** The session of the `authentication` sent on the socket openSocket just handed over, once. */
export function takeEarlySession(hub) {
  const session = hub.earlySession;
  hub.earlySession = undefined;
  return session;
}

/** Closes the early socket nobody claimed. */
export function discardEarly(hub) {
  hub.early?.socket.close();
  hub.early = undefined;
}
