// Bundled by esbuild into the conformance page: exposes the official `appwrite` SDK as an app
// would import it, plus small waiting helpers so tests never sleep for a fixed time.
import * as appwrite from 'appwrite';

const DEFAULT_DEADLINE_MS = 5_000;

/** Resolves when `check()` returns a truthy value; rejects with `what` after the deadline. */
async function waitUntil(what, check, deadlineMs = DEFAULT_DEADLINE_MS) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Collects what a subscription callback receives. `until(n)` resolves with the first n events as
 * soon as they arrived (resolved from the callback itself, raced with a deadline).
 */
function inbox(name) {
  const events = [];
  const waiters = new Set();
  return {
    events,
    callback(event) {
      events.push(event);
      for (const waiter of waiters) waiter();
    },
    until(count, deadlineMs = DEFAULT_DEADLINE_MS) {
      return new Promise((resolve, reject) => {
        const waiter = () => {
          if (events.length < count) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          resolve(events.slice(0, count));
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`${name}: expected ${count} event(s), got ${events.length}`));
        }, deadlineMs);
        waiters.add(waiter);
        waiter();
      });
    },
  };
}

/** The emulator's view of every open realtime connection (control surface). */
async function serverConnections() {
  const response = await fetch('/_emulator/connections');
  return (await response.json()).connections;
}

/** Waits until the emulator holds a subscription satisfying `matches`; resolves with it. */
function serverSubscription(what, matches) {
  return waitUntil(`the server to hold ${what}`, async () => {
    for (const connection of await serverConnections()) {
      const found = connection.subscriptions.find((subscription) => matches(subscription, connection));
      if (found) return found;
    }
    return undefined;
  });
}

/** Waits until no connection holds a subscription with this id any more. */
function serverForgot(subscriptionId) {
  return waitUntil(`the server to drop subscription ${subscriptionId}`, async () => {
    const connections = await serverConnections();
    return connections.every((connection) =>
      connection.subscriptions.every((subscription) => subscription.id !== subscriptionId));
  });
}

/** A client configured as an app would; the API is on this page's origin unless told otherwise. */
function newClient({ project = 'demo', apiOrigin = location.origin } = {}) {
  return new appwrite.Client().setEndpoint(`${apiOrigin}/v1`).setProject(project);
}

window.appwrite = appwrite;
window.conformance = { inbox, waitUntil, serverConnections, serverSubscription, serverForgot, newClient };
