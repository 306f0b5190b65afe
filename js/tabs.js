// One realtime socket per browser (`shareAcrossTabs`): the `Realtime`s of an origin's tabs that
// connect to the same URL (endpoint, project, JWT) with the same session form a group. The tab
// holding the group's Web Lock owns the one real WebSocket; every member, the owner's own
// included, gets a `SharedSocket`, which the driver uses like a WebSocket, and the owner relays
// frames between them and the server over a BroadcastChannel. Each tab's engine speaks the
// protocol as if it had a socket of its own, so acknowledgements, resubscription after a loss and
// `onResync` keep their meaning; when the owner goes, its members' sockets close and reconnect
// into the new owner.
//
// Loaded by js/interop.js (openSocket) when a connection shares.

/** Bumped when the messages between tabs change: tabs of different versions never share. */
const PROTOCOL = 1;

const tabId = `${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
let nextSocketId = 0;
const groups = new Map();
const ANY = Symbol('any member');
/**
 * The close code that tells a tab's engine its socket was handed over, not lost: it reconnects
 * at once (CLOSE_HANDOVER of the core).
 */
const HANDOVER = 4001;
const PING = '{"type":"ping"}';
const PONG = '{"type":"pong"}';
/** How often the owner checks its socket; as the SDK's default heartbeat (ms). */
const HEARTBEAT = 20_000;
/** What a member posts for its `authentication` frame, whose session the owner fills in. */
const AUTHENTICATION = 'authentication';

/** A digest names the group: neither the session nor the JWT is ever posted. */
/**
 * Held by this tab from its first join until it is gone (closed, crashed, navigated away): the
 * owner queues for it to learn that a member tab left, which no message would tell it.
 */
const tabLock = (id) => `appwrite-realtime-wasm:${PROTOCOL}:tab:${id}`;
let alive;
const holdTabLock = () =>
  (alive ??= new Promise((held) => navigator.locks.request(tabLock(tabId), () => (held(), new Promise(() => {})))));

async function groupName(url, session) {
  const bytes = new TextEncoder().encode(`${PROTOCOL}\n${url}\n${session}`);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return `appwrite-realtime-wasm:${PROTOCOL}:${Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** The type and data of a frame's text, or nothing for text that is not a JSON object. */
function parse(text) {
  try {
    const frame = JSON.parse(text);
    return typeof frame === 'object' && frame !== null ? frame : {};
  } catch {
    return {};
  }
}

/**
 * Joins `port`, the object the driver uses as its socket (js/interop.js), to the group of `url`
 * and `session` in this tab; the session stays here: only a digest names the group.
 */
export async function join(port, url, session, hub) {
  const socket = new SharedSocket(port, session, hub);
  try {
    await holdTabLock();
    const name = await groupName(url, session);
    if (port.closed) return;
    let group = groups.get(name);
    if (!group) groups.set(name, (group = new Group(name, url, session)));
    port.shared = socket;
    group.attach(socket);
  } catch {
    socket.ended(1006);
  }
}

/** A member of a group in this tab: the driver's socket, whose frames go through the owner. */
class SharedSocket {
  local = true;
  closed = false;
  owner = undefined;
  group = undefined;

  constructor(port, session, hub) {
    this.port = port;
    this.id = `${tabId}:${(nextSocketId += 1)}`;
    this.session = session;
    this.hub = hub;
  }

  send(text) {
    if (this.closed) return;
    const { type, data } = parse(text);
    const authentication = type === 'authentication';
    // Signing in or out is a move to the new session's group: the driver reconnects into it.
    if (authentication && data?.session !== this.session) {
      this.close();
      this.port.onclose?.({ code: HANDOVER });
    } else if (this.group.relay) {
      this.group.relay.send(this.id, text);
    } else {
      // The session is the group's, which the owner knows: it is never posted.
      this.group.post({ t: 'send', id: this.id, text: authentication ? AUTHENTICATION : text });
    }
  }

  /** Closed by the driver, which expects no close event after it. */
  close() {
    if (this.closed) return;
    this.closed = true;
    this.group?.detach(this);
  }

  // From the group:
  opened(owner, frame) {
    this.owner = owner;
    this.port.onopen?.({});
    this.message(frame);
  }

  message(text) {
    if (!this.closed) this.port.onmessage?.({ data: text });
  }

  /** The shared socket is gone for this member (lost, or its owner left). */
  ended(code) {
    if (this.closed) return;
    this.closed = true;
    this.group?.local.delete(this);
    this.port.onclose?.({ code });
  }

  /** This tab's role and how many tabs share the socket, for `state` and `stats()`. */
  describe(role, tabs, shared) {
    const { hub } = this;
    const changed = hub.sharing !== role || hub.tabs !== tabs;
    Object.assign(hub, { sharing: role, tabs, shared });
    if (changed) hub.restate();
  }
}

class Group {
  constructor(name, url, session) {
    this.name = name;
    this.url = url;
    this.session = session;
    /** This tab's sockets in the group. */
    this.local = new Set();
    /** The owner's relay while this tab owns the group's socket. */
    this.relay = undefined;
    this.tabs = 1;
    this.channel = new BroadcastChannel(name);
    this.channel.onmessage = ({ data }) => (this.relay ? this.relay.fromTab(data) : this.fromOwner(data));
  }

  post(message) {
    this.channel.postMessage(message);
  }

  attach(socket) {
    socket.group = this;
    this.local.add(socket);
    this.describe(socket);
    if (this.relay) this.relay.open(socket.id, socket);
    else this.post({ t: 'open', id: socket.id });
    if (!this.stepDown) this.requestOwnership();
  }

  /**
   * The driver closed the socket (unsubscribed, disconnected, or the page was frozen, cached or
   * hidden too long). A tab without sockets gives the group's socket up, so that a tab that can
   * serve takes over. A socket merely lost keeps its tab the owner: it reconnects.
   */
  detach(socket) {
    this.local.delete(socket);
    if (this.relay) this.relay.close(socket.id);
    else this.post({ t: 'close', id: socket.id });
    if (this.local.size === 0) this.stepDown?.();
  }

  /** Queues for the group's lock; holding it, this tab owns the socket until it needs none. */
  requestOwnership() {
    const abort = new AbortController();
    let release;
    const released = new Promise((resolve) => (release = resolve));
    this.stepDown = () => {
      this.stepDown = undefined;
      abort.abort();
      this.relay?.shutdown();
      this.relay = undefined;
      release();
    };
    navigator.locks
      .request(this.name, { signal: abort.signal }, () => {
        this.relay = new Relay(this);
        for (const socket of this.local) {
          // Bound to the owner that went: its server-side state went too.
          if (socket.owner) socket.ended(HANDOVER);
          else this.relay.open(socket.id, socket);
        }
        this.post({ t: 'owner', owner: tabId });
        this.relay.announce();
        return released;
      })
      .catch(() => {}); // aborted: this tab needs no socket of the group any more
  }

  /** A message for the members, in a tab that does not own the socket. */
  fromOwner(message) {
    const mine = (id) => [...this.local].find((socket) => socket.id === id);
    switch (message.t) {
      case 'owner':
        for (const socket of [...this.local]) {
          if (socket.owner && socket.owner !== message.owner) socket.ended(HANDOVER);
          else if (!socket.owner) this.post({ t: 'open', id: socket.id });
        }
        break;
      case 'opened': {
        const socket = mine(message.id);
        if (socket && !socket.owner) socket.opened(message.owner, message.frame);
        break;
      }
      case 'frame':
        for (const id of message.ids) mine(id)?.message(message.text);
        break;
      case 'closed':
        for (const id of message.ids) mine(id)?.ended(message.code);
        break;
      case 'status':
        this.status(message.tabs, message.shared);
        break;
    }
  }

  /** How many tabs share the socket, and its counters, as `state` and `stats()` show them. */
  status(tabs, shared) {
    this.tabs = tabs;
    this.shared = shared;
    for (const socket of this.local) this.describe(socket);
  }

  describe(socket) {
    socket.describe(this.relay ? 'owner' : 'member', this.tabs, this.shared);
  }
}

/**
 * The owner's side: the real WebSocket and the routing of frames. Replies carry no correlation
 * id and may come back in any order, so subscribe and unsubscribe acknowledgements go by their
 * subscription ids, and other answers and errors to the oldest request still unanswered.
 * Members' pings are answered here while the socket is up: forwarded, N tabs' pings would count
 * N times against the server's per-connection rate limit. The relay checks the socket itself.
 */
class Relay {
  constructor(group) {
    this.group = group;
    /** Member sockets by id: a local SharedSocket, or a stand-in posting to the member's tab. */
    this.members = new Map();
    /** Subscription id → member id. */
    this.subscriptions = new Map();
    this.requests = [];
    this.counts = { connects: 0, framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0 };
    /** Member tabs whose lock this relay queues for; aborted when the relay ends. */
    this.watched = new Set();
    this.unwatch = new AbortController();
  }

  /** Closes the members of tab `id` once the browser releases its lock: the tab is gone. */
  watch(id) {
    if (id === tabId || this.watched.has(id)) return;
    this.watched.add(id);
    navigator.locks
      .request(tabLock(id), { signal: this.unwatch.signal }, () => {
        this.watched.delete(id);
        for (const member of [...this.members.keys()]) if (member.startsWith(`${id}:`)) this.close(member);
      })
      .catch(() => {}); // the relay ended first
  }

  /** A member on another tab, as the relay addresses it. */
  remote(id) {
    const { group } = this;
    return {
      opened: (owner, frame) => group.post({ t: 'opened', id, owner, frame }),
      message: (text) => group.post({ t: 'frame', ids: [id], text }),
      ended: (code) => group.post({ t: 'closed', ids: [id], code }),
    };
  }

  fromTab(message) {
    if (message.t === 'open') this.open(message.id, this.remote(message.id));
    else if (message.t === 'send') {
      const { text } = message;
      this.send(message.id, text === AUTHENTICATION ? JSON.stringify({ type: 'authentication', data: { session: this.group.session } }) : text);
    }
    else if (message.t === 'close') this.close(message.id);
  }

  open(id, member) {
    if (this.members.has(id)) return;
    this.members.set(id, member);
    this.watch(id.split(':')[0]);
    if (!this.ws) this.connect();
    else if (this.connected) member.opened(tabId, this.connected);
    this.announce();
  }

  connect() {
    const ws = (this.ws = new WebSocket(this.group.url));
    this.counts.connects += 1;
    ws.onmessage = ({ data }) => this.fromServer(data);
    ws.onclose = ({ code }) => this.lost(code);
  }

  send(id, text) {
    if (!this.members.has(id) || this.ws?.readyState !== 1) return;
    const { type, data } = parse(text);
    if (type === 'ping') {
      // Later, as a socket would answer: never inside the member's own send.
      queueMicrotask(() => this.deliver([id], PONG));
      return;
    }
    if (type) this.requests.push([id, type]);
    if (type === 'subscribe' && Array.isArray(data)) {
      for (const item of data) this.subscriptions.set(item?.subscriptionId, id);
    }
    this.counts.framesOut += 1;
    this.counts.bytesOut += text.length;
    this.ws.send(text);
  }

  /** A member left: its subscriptions leave the shared socket with it. */
  close(id) {
    if (!this.members.delete(id)) return;
    const left = [...this.subscriptions].filter(([, owner]) => owner === id).map(([subscriptionId]) => ({ subscriptionId }));
    for (const { subscriptionId } of left) this.subscriptions.delete(subscriptionId);
    if (left.length && this.ws?.readyState === 1) {
      this.requests.push([null, 'unsubscribe']);
      this.ws.send(JSON.stringify({ type: 'unsubscribe', data: left }));
    }
    this.announce();
  }

  fromServer(text) {
    this.counts.framesIn += 1;
    this.counts.bytesIn += text.length;
    // The counters, for `stats().shared`, at most once a second while frames flow.
    this.reporting ??= setTimeout(() => {
      this.reporting = undefined;
      this.announce();
    }, 1000);
    const { type, data } = parse(text);
    const items = Array.isArray(data?.subscriptions) ? data.subscriptions : [];
    const ids = items.map((item) => this.subscriptions.get(type === 'event' ? item : item?.subscriptionId));
    if (type === 'connected') {
      this.connected = text;
      this.heartbeat = setInterval(() => this.beat(), HEARTBEAT);
      for (const member of this.members.values()) member.opened(tabId, text);
    } else if (type === 'event') {
      this.deliver(ids, text);
    } else if (type === 'pong') {
      this.unanswered = false;
    } else if (type === 'response' && (data.to === 'subscribe' || data.to === 'unsubscribe')) {
      // Answers the request of the member whose subscriptions it lists, or the relay's own
      // unsubscribe for a member that left (null).
      this.answered(data.to, ids.find((id) => id !== undefined) ?? null);
      if (data.to === 'unsubscribe') for (const item of items) this.subscriptions.delete(item?.subscriptionId);
      this.deliver(ids, text);
    } else if (type === 'response') {
      this.deliver([this.answered(data?.to, ANY)], text);
    } else if (type === 'error' && this.requests.length) {
      this.deliver([this.requests.shift()[0]], text);
    } else {
      this.deliver([...this.members.keys()], text);
    }
  }

  /** A ping every HEARTBEAT; a socket that did not answer the last one by the next is dead. */
  beat() {
    if (this.unanswered) {
      this.ws.onclose = this.ws.onmessage = null;
      this.ws.close();
      this.lost(1006);
      return;
    }
    this.unanswered = true;
    this.ws.send(PING);
  }

  /** Removes the oldest unanswered request of `type` from member `id` (or ANY); its member. */
  answered(type, id) {
    const at = this.requests.findIndex(([member, kind]) => kind === type && (id === ANY || member === id));
    return at < 0 ? undefined : this.requests.splice(at, 1)[0][0];
  }

  /** `text` to each of the members `ids` once; remote ones in one message. */
  deliver(ids, text) {
    const remote = [];
    for (const id of new Set(ids)) {
      const member = this.members.get(id);
      if (member?.local) member.message(text);
      else if (member) remote.push(id);
    }
    if (remote.length) this.group.post({ t: 'frame', ids: remote, text });
  }

  /** The socket is gone: every member's socket closes with its code, and reconnects. */
  lost(code) {
    const members = [...this.members];
    clearInterval(this.heartbeat);
    this.ws = this.connected = this.unanswered = undefined;
    this.members.clear();
    this.subscriptions.clear();
    this.requests = [];
    const remote = [];
    for (const [id, member] of members) {
      if (member.local) member.ended(code);
      else remote.push(id);
    }
    if (remote.length) this.group.post({ t: 'closed', ids: remote, code });
    this.announce();
  }

  /** This tab gives the socket up: the members reconnect into the next owner. */
  shutdown() {
    this.unwatch.abort();
    clearTimeout(this.reporting);
    const { ws } = this;
    if (ws) {
      ws.onclose = ws.onmessage = null;
      ws.close(1000);
    }
    this.lost(HANDOVER);
  }

  /** Tells every member how many tabs share the socket, and its counters. */
  announce() {
    const tabs = new Set([tabId, ...[...this.members.keys()].map((id) => id.split(':')[0])]).size;
    const shared = { ...this.counts };
    this.group.post({ t: 'status', tabs, shared });
    this.group.status(tabs, shared);
  }
}
