// One realtime socket per browser (`shareAcrossTabs`): the `Realtime`s of an origin's tabs that
// connect to the same URL (endpoint, project, JWT) with the same session form a group. The tab
// holding the group's Web Lock owns the one real WebSocket; every member, the owner's own
// included, gets a `SharedSocket`, which the driver uses like a WebSocket, and the owner relays
// frames between them and the server over a BroadcastChannel. Each tab's engine speaks the
// protocol as if it had a socket of its own, so acknowledgements, resubscription after a loss and
// `onResync` keep their meaning; when the owner goes, its members' sockets close and reconnect
// into the new owner.
//
// The owner keeps the socket while any tab needs it, its own subscriptions or not: a tab that
// signs in, signs out, unsubscribes or disconnects leaves the others' socket as it is. It gives
// the socket up only when it must (frozen, into the back-forward cache, closed, crashed). Members
// probe an owner that has been silent, and take the lock from one that does not answer in time
// (a long task, a paused debugger). Every message of an owner carries when it took the lock:
// members follow the newest owner and drop what older ones post, and an owner that sees a newer
// one, or loses its lock, closes its socket and joins as a member.
//
// Used by js/sockets.js (openSocket) and js/early.js (openEarly) for every connection that
// shares, the default.

/** Bumped when the messages between tabs change: tabs of different versions never share. */
const PROTOCOL = 2;

const tabId = `${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
let nextSocketId = 0;
const groups = new Map();
const ANY = Symbol('any member');
/**
 * The close code that tells a tab's engine its socket was handed over, not lost: it reconnects
 * at once (CLOSE_HANDOVER of the core).
 */
const HANDOVER = 4001;
const PONG = '{"type":"pong"}';
/**
 * The close code of an engine whose pong or `connected` did not come in time (the core's): from
 * a member, it says the shared socket is dead, and the owner replaces it.
 */
const DEAD_LINK = 4000;
/**
 * With several tabs on the socket, a pong this recent answers a member's ping at once (ms): the
 * server counts pings against its limit of 32 messages a minute per connection, and N tabs'
 * heartbeats must not count N times. With one tab, every ping goes to the server, as it would
 * without sharing.
 */
const PONG_FRESH = 5_000;
/** How often a member checks that it heard from its owner (ms). */
const WATCH_INTERVAL = 250;
/** A member probes an owner silent this long (ms). */
const PROBE_AFTER = 500;
/**
 * An owner that has not answered a probe this long is taken over (ms): a blocked owner stalls
 * its members for about PROBE_AFTER + OWNER_DEADLINE + 2 × WATCH_INTERVAL at most, plus the
 * takeover. A busy owner answers well within it (see the tabs e2e tests: a burst of 1,000 events
 * at 4x CPU slowdown).
 */
const OWNER_DEADLINE = 1_500;
/** What a member posts for its `authentication` frame, whose session the owner fills in. */
const AUTHENTICATION = 'authentication';

/**
 * Held by this tab from its first join until it is gone (closed, crashed, navigated away): the
 * owner queues for it to learn that a member tab left, which no message would tell it.
 */
const tabLock = (id) => `appwrite-realtime-wasm:${PROTOCOL}:tab:${id}`;
let alive;
const holdTabLock = () =>
  (alive ??= new Promise((held) => navigator.locks.request(tabLock(tabId), () => (held(), new Promise(() => {})))));

/** A digest names the group: neither the session nor the JWT is ever posted. */
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
 * A request for a group's lock: `abort` withdraws it while queued, `release` lets go of it once
 * held (its callback returns `released`).
 */
function lockRequest(held) {
  const lock = { abort: new AbortController(), held };
  const released = new Promise((resolve) => (lock.release = resolve));
  return [lock, released];
}

/**
 * A page that is frozen or enters the back-forward cache serves nobody: it hands the sockets it
 * owns over at once (its own connections close theirs on the same events).
 */
function stepDownEverywhere() {
  for (const group of groups.values()) if (group.relay) group.stepDown(true);
}
globalThis.addEventListener?.('pagehide', (event) => event.persisted && stepDownEverywhere());
globalThis.document?.addEventListener('freeze', stepDownEverywhere);

/**
 * Joins `port`, the object the driver uses as its socket (js/sockets.js), to the group of `url`
 * and `session` in this tab; the session stays here: only a digest names the group.
 */
export async function join(port, url, session, hub) {
  const socket = new SharedSocket(port, session, hub);
  try {
    // Both at once: on a slow phone each hop is some 20 ms before the socket can open.
    const [, name] = await Promise.all([holdTabLock(), groupName(url, session)]);
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
    if (authentication && data?.session !== this.session && this.group.alone(this)) {
      // The group's one socket, owned here, signs in: it re-authenticates in place.
      this.session = data.session;
      this.group.rename(this, text);
    } else if (authentication && data?.session !== this.session) {
      // Signing in or out is a move to the new session's group: the driver reconnects into it,
      // told after its send returned, as a WebSocket would tell it.
      this.close();
      this.port.readyState = 3;
      queueMicrotask(() => this.port.onclose?.({ type: 'close', code: HANDOVER }));
    } else if (this.group.relay) {
      this.group.relay.send(this.id, text);
    } else {
      // The session is the group's, which the owner knows: it is never posted.
      this.group.post({ t: 'send', id: this.id, text: authentication ? AUTHENTICATION : text });
    }
  }

  /** Closed by the driver with `code`, which expects no close event after it. */
  close(code) {
    if (this.closed) return;
    this.closed = true;
    this.group?.detach(this, code);
  }

  // From the group:
  // Events shaped as a WebSocket's, for the early socket queues them by type (js/early.js).
  opened(owner, frame) {
    this.owner = owner;
    this.port.readyState = 1;
    this.port.onopen?.({ type: 'open' });
    this.message(frame);
  }

  message(text) {
    if (!this.closed) this.port.onmessage?.({ type: 'message', data: text });
  }

  /** The shared socket is gone for this member (lost, or its owner left). */
  ended(code) {
    if (this.closed) return;
    this.closed = true;
    this.group?.local.delete(this);
    this.port.readyState = 3;
    this.port.onclose?.({ type: 'close', code });
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
    /** This tab's request for the group's lock: queued, held, or none. */
    this.lock = undefined;
    /** When the owner followed took the lock, and when it was last heard. */
    this.ownerSince = -Infinity;
    this.heard = performance.now();
    /** When the unanswered probe went out, if one did. */
    this.probed = undefined;
    this.watchdog = undefined;
    this.tabs = 1;
    this.channel = new BroadcastChannel(name);
    // Owners' messages carry `since`; members' do not.
    this.channel.onmessage = ({ data }) => (data.since === undefined ? this.relay?.fromTab(data) : this.fromOwner(data));
  }

  post(message) {
    if (!this.sealed) this.channel.postMessage(message);
  }

  /** Whether `socket` is the only one, this tab's or another's, on the socket this tab owns. */
  alone(socket) {
    return !!this.relay && this.local.size === 1 && this.local.has(socket) && !this.relay.hasRemoteMembers();
  }

  /**
   * The group's one socket signs in as another session (`alone`): the server's socket stays and
   * authenticates in place (`text`), as a socket of its own would, and becomes the new session's
   * group. This group is sealed at once, so that no tab of the old session joins a socket that
   * changes users, and its lock is let go for them. If the new session's group has an owner
   * already, the socket moves into it instead.
   */
  rename(socket, text) {
    const { relay, lock } = this;
    this.sealed = true;
    this.channel.onmessage = null;
    this.lock = undefined;
    lock?.release();
    this.stopWatching();
    groups.delete(this.name);
    relay.send(socket.id, text);
    const retire = () => {
      this.relay = undefined;
      this.local.delete(socket);
      this.channel.close();
    };
    const moveInstead = () => {
      retire();
      relay.shutdown();
    };
    groupName(this.url, socket.session).then((name) => {
      if (socket.closed || !relay.ws || groups.has(name)) return moveInstead();
      const group = new Group(name, this.url, socket.session);
      const [held, released] = lockRequest(true);
      return navigator.locks
        .request(name, { ifAvailable: true }, (granted) => {
          if (!granted || socket.closed || !relay.ws || groups.has(name)) {
            group.channel.close();
            moveInstead();
            return undefined;
          }
          retire();
          groups.set(name, group);
          group.adopt(relay, socket, held);
          return released;
        })
        .catch(() => {
          if (group.lock === held) group.deposed();
        });
    }, moveInstead);
  }

  /** Takes over `relay`, and `socket` on it, from a renamed group, holding the lock `held`. */
  adopt(relay, socket, held) {
    this.lock = held;
    this.relay = relay;
    relay.group = this;
    relay.since = performance.timeOrigin + performance.now();
    socket.group = this;
    this.local.add(socket);
    relay.post({ t: 'owner' });
    relay.announce();
  }

  attach(socket) {
    socket.group = this;
    this.local.add(socket);
    this.describe(socket);
    if (this.relay) this.relay.open(socket.id, socket);
    else {
      this.post({ t: 'open', id: socket.id });
      this.watchOwner();
    }
    if (!this.lock) this.requestOwnership(false);
  }

  /**
   * The driver closed the socket (unsubscribed, disconnected, moved to another session's group,
   * or the page was frozen, cached or hidden too long). The owner keeps the group's socket while
   * other tabs use it; a tab that needs the group no more leaves it.
   */
  detach(socket, code) {
    this.local.delete(socket);
    if (this.relay) this.relay.close(socket.id, code);
    else this.post({ t: 'close', id: socket.id, code });
    this.leaveIfUnneeded();
  }

  /** Gives the lock and the socket up once neither this tab nor, as owner, another tab needs them. */
  leaveIfUnneeded() {
    if (this.local.size > 0 || this.relay?.hasRemoteMembers()) return;
    this.stepDown();
    this.channel.close();
    this.stopWatching();
    groups.delete(this.name);
  }

  /**
   * Asks for the group's lock: queued behind the owner, or with `steal`, taken from an owner that
   * stopped answering. Holding it, this tab owns the socket until it steps down or loses the lock.
   */
  requestOwnership(steal) {
    // A queued request is replaced by the stealing one (the Web Locks API refuses a signal there).
    this.lock?.abort.abort();
    const [lock, released] = lockRequest(false);
    this.lock = lock;
    navigator.locks
      .request(this.name, steal ? { steal: true } : { signal: lock.abort.signal }, () => {
        if (this.lock !== lock) return undefined; // stepped down meanwhile: let go at once
        if (this.local.size === 0) {
          // Granted to a tab that needs no socket any more: the next tab in the queue serves.
          this.lock = undefined;
          this.leaveIfUnneeded();
          return undefined;
        }
        lock.held = true;
        this.stopWatching();
        const relay = (this.relay = new Relay(this));
        for (const socket of this.local) {
          // Bound to the owner that went: its server-side state went too.
          if (socket.owner) socket.ended(HANDOVER);
          else relay.open(socket.id, socket);
        }
        relay.post({ t: 'owner' });
        relay.announce();
        return released;
      })
      .catch(() => {
        // Aborted while queued: nothing to do. Held and rejected: another tab took the lock.
        if (lock.held && this.lock === lock) this.deposed();
      });
  }

  /**
   * This tab gives the socket up (if it owns it) and its lock request. On a page event (`later`),
   * this tab's own sockets are told in a later task: its connections close them on the same
   * event, and must find their page frozen first rather than reconnect.
   */
  stepDown(later = false) {
    const { lock } = this;
    this.lock = undefined;
    lock?.abort.abort();
    this.relay?.shutdown(later);
    this.relay = undefined;
    lock?.release();
  }

  /**
   * Another tab owns the socket now (it took the lock from this one, which stopped answering):
   * this tab's socket closes, and its members, with this tab's own, follow the new owner.
   */
  deposed() {
    this.lock = undefined;
    const { relay } = this;
    this.relay = undefined;
    relay?.shutdown();
    this.leaveIfUnneeded();
  }

  /** A message of an owner (`since` says when it took the lock), in any tab. */
  fromOwner(message) {
    if (this.relay) {
      if (message.since > this.relay.since) this.deposed();
      return;
    }
    if (message.since < this.ownerSince) return; // an owner that was replaced
    if (message.since > this.ownerSince) this.follow(message.from, message.since);
    this.heard = performance.now();
    this.probed = undefined;
    const mine = (id) => [...this.local].find((socket) => socket.id === id);
    const bound = (socket) => socket?.owner === message.from;
    switch (message.t) {
      case 'opened': {
        const socket = mine(message.id);
        if (socket && !socket.owner) socket.opened(message.from, message.frame);
        break;
      }
      case 'frame':
        for (const id of message.ids) {
          const socket = mine(id);
          if (bound(socket)) socket.message(message.text);
        }
        break;
      case 'closed':
        for (const id of message.ids) {
          const socket = mine(id);
          // Also one still waiting to join: the owner's socket failed before it was opened.
          if (bound(socket) || (socket && !socket.owner)) socket.ended(message.code);
        }
        break;
      case 'status':
        this.status(message.tabs, message.shared);
        break;
    }
  }

  /** A newer owner: sockets bound to another one reconnect into it, and unbound ones ask it. */
  follow(owner, since) {
    this.ownerSince = since;
    for (const socket of [...this.local]) {
      if (socket.owner && socket.owner !== owner) socket.ended(HANDOVER);
      else if (!socket.owner) this.post({ t: 'open', id: socket.id });
    }
  }

  /** While this tab is a member: probes a silent owner, and takes over one that does not answer. */
  watchOwner() {
    this.heard = performance.now();
    this.probed = undefined;
    this.watchdog ??= setInterval(() => {
      if (this.relay || this.local.size === 0) return this.stopWatching();
      const now = performance.now();
      // Measured from the probe, not from the last message: a member whose timers were
      // throttled (hidden) must not take over an owner that answers.
      if (this.probed === undefined) {
        if (now - this.heard > PROBE_AFTER) {
          this.probed = now;
          this.post({ t: 'probe' });
        }
      } else if (now - this.probed > OWNER_DEADLINE) {
        this.probed = undefined;
        this.requestOwnership(true);
      }
    }, WATCH_INTERVAL);
  }

  stopWatching() {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
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
 * Members' pings share one ping on the socket at a time, and with several tabs a fresh pong
 * answers them at once (PONG_FRESH). Each member's engine keeps its own pong deadline, and a
 * member that closes with DEAD_LINK makes the owner replace the socket.
 */
class Relay {
  constructor(group) {
    this.group = group;
    /** When this tab took the lock: members follow the newest owner. */
    this.since = performance.timeOrigin + performance.now();
    /** Member sockets by id: a local SharedSocket, or a stand-in posting to the member's tab. */
    this.members = new Map();
    /** Subscription id → member id. */
    this.subscriptions = new Map();
    /** The ids of members that left, unsubscribed by the relay and not yet answered. */
    this.released = new Set();
    this.requests = [];
    /** Members waiting for the pong of the ping on the socket; when the last pong came. */
    this.pinging = new Set();
    this.pongAt = undefined;
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

  /** Posts to the members, signed with this owner's tab and the time it took the lock. */
  post(message) {
    this.group.post({ ...message, from: tabId, since: this.since });
  }

  /** A member on another tab, as the relay addresses it. */
  remote(id) {
    return {
      opened: (owner, frame) => this.post({ t: 'opened', id, frame }),
      message: (text) => this.post({ t: 'frame', ids: [id], text }),
      ended: (code) => this.post({ t: 'closed', ids: [id], code }),
    };
  }

  hasRemoteMembers() {
    for (const member of this.members.values()) if (!member.local) return true;
    return false;
  }

  fromTab(message) {
    if (message.t === 'probe') this.post({ t: 'here' });
    else if (message.t === 'open') this.open(message.id, this.remote(message.id));
    else if (message.t === 'send') {
      const { text } = message;
      this.send(message.id, text === AUTHENTICATION ? JSON.stringify({ type: 'authentication', data: { session: this.group.session } }) : text);
    }
    else if (message.t === 'close') this.close(message.id, message.code);
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
    let ws;
    try {
      ws = this.ws = new WebSocket(this.group.url);
    } catch {
      queueMicrotask(() => this.lost(1006)); // js/sockets.js refused such a URL already
      return;
    }
    this.counts.connects += 1;
    ws.onmessage = ({ data }) => this.fromServer(data);
    ws.onclose = ({ code }) => this.lost(code);
  }

  send(id, text) {
    if (!this.members.has(id) || this.ws?.readyState !== 1) return;
    const { type, data } = parse(text);
    if (type === 'ping') {
      if (this.tabsUsing() > 1 && performance.now() - (this.pongAt ?? -Infinity) < PONG_FRESH) {
        // Later, as a socket would answer: never inside the member's own send.
        queueMicrotask(() => this.deliver([id], PONG));
        return;
      }
      const pinging = this.pinging.size > 0;
      this.pinging.add(id);
      if (pinging) return;
    }
    if (type && type !== 'ping') this.requests.push([id, type]);
    if (type === 'subscribe' && Array.isArray(data)) {
      for (const item of data) this.subscriptions.set(item?.subscriptionId, id);
    }
    this.counts.framesOut += 1;
    this.counts.bytesOut += text.length;
    this.ws.send(text);
  }

  /**
   * A member left (closing with `code`): its subscriptions leave the shared socket with it. One
   * that found the socket dead has every member reconnect to a new one.
   */
  close(id, code) {
    if (!this.members.delete(id)) return;
    this.pinging.delete(id);
    if (code === DEAD_LINK && this.ws) {
      this.closeSocket(DEAD_LINK);
      this.lost(1006);
      this.group.leaveIfUnneeded();
      return;
    }
    const left = [...this.subscriptions].filter(([, owner]) => owner === id).map(([subscriptionId]) => ({ subscriptionId }));
    for (const { subscriptionId } of left) {
      this.subscriptions.delete(subscriptionId);
      this.released.add(subscriptionId);
    }
    if (left.length && this.ws?.readyState === 1) {
      this.requests.push([null, 'unsubscribe']);
      this.ws.send(JSON.stringify({ type: 'unsubscribe', data: left }));
    }
    this.announce();
    this.group.leaveIfUnneeded();
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
      for (const member of this.members.values()) member.opened(tabId, text);
    } else if (type === 'event') {
      // A server before 1.9.5 names no subscription the relay knows (channels travel in the URL,
      // the same for the whole group): every member's engine routes the event itself.
      const known = ids.filter((id) => id !== undefined);
      this.deliver(known.length ? known : [...this.members.keys()], text);
    } else if (type === 'pong') {
      this.pongAt = performance.now();
      const waiting = [...this.pinging];
      this.pinging.clear();
      this.deliver(waiting, text);
    } else if (type === 'response' && data.to === 'unsubscribe' && items.length && items.every((item) => this.released.delete(item?.subscriptionId))) {
      // The relay's own, for a member that left: nobody's to hear, and a member that joined
      // again since may hold those ids once more.
      this.answered('unsubscribe', null);
    } else if (type === 'response' && (data.to === 'subscribe' || data.to === 'unsubscribe')) {
      // Answers the request of the member whose subscriptions it lists, or the relay's own
      // unsubscribe for a member that left (null); an answer to no request is every member's
      // to judge.
      const known = ids.filter((id) => id !== undefined);
      const requester = this.answered(data.to, known[0] ?? null);
      if (data.to === 'unsubscribe') for (const item of items) this.subscriptions.delete(item?.subscriptionId);
      if (known.length) this.deliver(known, text);
      else if (requester === undefined) this.deliver([...this.members.keys()], text);
    } else if (type === 'response') {
      this.deliver([this.answered(data?.to, ANY)], text);
    } else if (type === 'error' && this.requests.length) {
      this.deliver([this.requests.shift()[0]], text);
    } else {
      this.deliver([...this.members.keys()], text);
    }
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
    if (remote.length) this.post({ t: 'frame', ids: remote, text });
  }

  /** The socket is gone: every member's socket closes with its code (`later` for this tab's), and reconnects. */
  lost(code, later = false) {
    const members = [...this.members];
    this.ws = this.connected = this.pongAt = undefined;
    this.pinging.clear();
    this.members.clear();
    this.subscriptions.clear();
    this.released.clear();
    this.requests = [];
    const remote = [];
    for (const [id, member] of members) {
      if (!member.local) remote.push(id);
      else if (later) setTimeout(() => member.ended(code));
      else member.ended(code);
    }
    if (remote.length) this.post({ t: 'closed', ids: remote, code });
    this.announce();
  }

  /** This tab gives the socket up: the members reconnect into the next owner. */
  shutdown(later = false) {
    this.unwatch.abort();
    clearTimeout(this.reporting);
    this.closeSocket(1000);
    this.lost(HANDOVER, later);
  }

  /** Closes the server's socket with `code`, if there is one, hearing nothing more from it. */
  closeSocket(code) {
    const { ws } = this;
    if (!ws) return;
    ws.onclose = ws.onmessage = null;
    ws.close(code);
  }

  /** Tells every member how many tabs share the socket, and its counters. */
  /** The tabs using the socket: this one only while it has sockets of its own in the group. */
  tabsUsing() {
    return new Set([...this.members.keys()].map((id) => id.split(':')[0])).size;
  }

  announce() {
    const tabs = this.tabsUsing() || 1;
    const shared = { ...this.counts };
    this.post({ t: 'status', tabs, shared });
    this.group.status(tabs, shared);
  }
}
