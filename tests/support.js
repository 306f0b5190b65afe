// Helpers for the browser tests: REST and control calls to the emulator, and a queue that
// collects callback invocations so a test can await the next one with a deadline.

export async function request(base, method, path, body, headers = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', 'X-Appwrite-Project': 'demo', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Sends `text` as the body unchanged (big integers in it must not pass through JSON.parse). */
export async function requestRaw(base, method, path, text) {
  const response = await fetch(`${base}${path}`, {
    method, headers: { 'Content-Type': 'application/json' }, body: text,
  });
  const reply = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${reply}`);
  return reply ? JSON.parse(reply) : null;
}

export function queue() {
  const items = [];
  const waiters = [];
  return {
    push(item) {
      const waiter = waiters.shift();
      if (waiter) waiter(item);
      else items.push(item);
    },
    next(timeoutMs) {
      if (items.length) return Promise.resolve(items.shift());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(deliver), 1);
          reject(new Error(`nothing arrived within ${timeoutMs} ms`));
        }, timeoutMs);
        const deliver = (item) => { clearTimeout(timer); resolve(item); };
        waiters.push(deliver);
      });
    },
    get length() { return items.length; },
  };
}

/** A callback that pushes into `target`, then throws (to test callback isolation). */
export function throwingCallback(target) {
  return (event) => { target.push(event); throw new Error('callback failure on purpose'); };
}

/** A callback that unsubscribes its own subscription on the first event it gets. */
export function selfUnsubscribingCallback(target) {
  const state = { subscription: null };
  const callback = (event) => {
    target.push(event);
    state.subscription?.unsubscribe();
  };
  return { callback, state };
}

/**
 * Polls the emulator's connection list until a connection holds a subscription on `channel`
 * (other than `excludeConnectionId`), and resolves with that connection.
 */
export async function waitForSubscription(base, channel, excludeConnectionId, timeoutMs) {
  return pollConnections(base, timeoutMs, `a subscription on ${channel}`, (connections) =>
    connections.find((connection) => connection.id !== excludeConnectionId
      && connection.subscriptions.some((subscription) => subscription.channels.includes(channel))));
}

/** Resolves once no connection holds a subscription on `channel`. */
export async function waitForNoSubscription(base, channel, timeoutMs) {
  return pollConnections(base, timeoutMs, `no subscription on ${channel}`, (connections) =>
    !connections.some((connection) =>
      connection.subscriptions.some((subscription) => subscription.channels.includes(channel))));
}

/** Resolves once the emulator's sockets hold `count` subscriptions on `channel` in all. */
export async function waitForSubscriptionCount(base, channel, count, timeoutMs) {
  return pollConnections(base, timeoutMs, `${count} subscriptions on ${channel}`, (connections) =>
    connections.flatMap((connection) => connection.subscriptions)
      .filter((subscription) => subscription.channels.includes(channel)).length === count);
}

/** Resolves with the connection holding `channel` once it is authenticated as a user. */
export async function waitForUser(base, channel, timeoutMs) {
  return pollConnections(base, timeoutMs, `an authenticated connection on ${channel}`, (connections) =>
    connections.find((connection) => connection.user
      && connection.subscriptions.some((subscription) => subscription.channels.includes(channel))));
}

async function pollConnections(base, timeoutMs, what, found) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const { connections } = await request(base, 'GET', '/_emulator/connections');
    const result = found(connections);
    if (result) return result;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function uniqueEmail() {
  return `user-${Date.now()}-${Math.floor(Math.random() * 1e9)}@example.com`;
}

export function sessionToken(session) {
  return btoa(JSON.stringify({ id: session.userId, secret: session.secret }));
}

export function field(object, name) {
  return object?.[name];
}

export function typeOf(value) {
  return typeof value;
}

/** Dispatches the page event `name` on the document (`freeze`, `resume`) or the window. */
export function dispatchPageEvent(name) {
  const onDocument = name === 'freeze' || name === 'resume' || name === 'visibilitychange';
  (onDocument ? document : window).dispatchEvent(new Event(name));
}

/** `pagehide`/`pageshow` as the back-forward cache sends them. */
export function dispatchPageTransition(name, persisted) {
  window.dispatchEvent(new PageTransitionEvent(name, { persisted }));
}

/** Makes the page read as hidden or visible, and says so with `visibilitychange`. */
export function setPageHidden(hidden) {
  if (hidden) Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
  else delete document.visibilityState;
  document.dispatchEvent(new Event('visibilitychange'));
}

/**
 * Records the delay of every `setTimeout` call, which it passes on, until `stop()`: the delays
 * the SDK arms its one timer with.
 */
export function recordTimerDelays() {
  const native = globalThis.setTimeout;
  const delays = [];
  globalThis.setTimeout = (callback, delay, ...rest) => {
    delays.push(delay);
    return native(callback, delay, ...rest);
  };
  return { delays, stop() { globalThis.setTimeout = native; } };
}
