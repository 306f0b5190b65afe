// Runs inside the benchmark page (after fake-websocket.js): subscribes with one SDK, then pushes
// frames through the fake socket and times them. Both SDKs go through the same code below.

const channel = 'databases.default.collections.sample.documents';
const bigValue = 9007199254740993n; // 2^53 + 1: a Number would round it to 2^53
const bigField = 'bigCounter';

/** The event callback of the subscription; `measure` points it at a fresh counter per run. */
let onEvent = () => {};
const callback = (event) => onEvent(event);

/** Held for the page's lifetime: our `Realtime` closes its socket once garbage-collected. */
const keptAlive = [];

/** Channels that never match the measured frames, for the many-subscriptions case. */
const otherChannels = (count) => Array.from({ length: count }, (_, i) => `databases.default.collections.other-${i}.documents`);

/**
 * Subscribes with our SDK (plus `others` subscriptions the frames never address) and resolves
 * once the server's ack arrived (which `subscribe` awaits).
 */
export async function subscribeOurs(others = 0, moduleUrl = '/pkg/index.js') {
  const { Client, Realtime } = await import(moduleUrl);
  const client = new Client().setEndpoint('http://127.0.0.1:1/v1').setProject('bench');
  const realtime = new Realtime(client);
  const extra = otherChannels(others).map((other) => realtime.subscribe(other, () => {}));
  keptAlive.push(realtime, await realtime.subscribe(channel, callback), ...(await Promise.all(extra)));
  return subscriptionIdFor(channel);
}

/** Subscribes with the official SDK (the iife bundle defines `window.Appwrite`). */
export async function subscribeOfficial(others = 0) {
  const { Client, Realtime } = window.Appwrite;
  const client = new Client().setEndpoint('http://127.0.0.1:1/v1').setProject('bench');
  const realtime = new Realtime(client);
  // Resolves when the socket opens; the subscribe frame follows the server's `connected`.
  const extra = otherChannels(others).map((other) => realtime.subscribe(other, () => {}));
  keptAlive.push(realtime, await realtime.subscribe(channel, callback), ...(await Promise.all(extra)));
  return subscriptionIdFor(channel);
}

/** The floor: a bare socket listener that parses each frame and calls the callback. */
export async function subscribeFloor() {
  const socket = new WebSocket('ws://127.0.0.1:1/v1/realtime');
  await new Promise((resolve) => socket.addEventListener('open', resolve, { once: true }));
  socket.addEventListener('message', (event) => {
    const frame = JSON.parse(event.data);
    if (frame.type === 'event') callback(frame.data);
  });
  keptAlive.push(socket);
  return 'floor';
}

/**
 * Milliseconds from loading an SDK to its first acknowledged subscription. Each SDK is fetched as
 * an app would ship it, one esbuild bundle (ours also fetches its .wasm, compiles and
 * instantiates it): ours to `subscribe` resolving, the official one to the server's response to
 * its subscribe frame.
 */
export async function timeToFirstAck(sdk, bundleUrl) {
  const startedAt = performance.now();
  if (sdk === 'ours') {
    await subscribeOurs(0, bundleUrl);
  } else {
    const script = document.createElement('script');
    script.src = bundleUrl;
    const loaded = new Promise((resolve, reject) => { script.onload = resolve; script.onerror = reject; });
    document.head.append(script);
    await loaded;
    await subscribeOfficial();
    // The official SDK has no ack to await: wait for the fake server's response to be delivered.
    await new Promise((resolve) => { window.fakeServer.replied = resolve; });
  }
  return performance.now() - startedAt;
}

/** The id the SDK sent for `wanted`, waiting for its subscribe frame if it has not come yet. */
async function subscriptionIdFor(wanted) {
  const server = window.fakeServer;
  const find = () => server.subscriptionRows.find((row) => row.channels.includes(wanted));
  while (!find()) {
    await new Promise((resolve) => { server.rowsArrived = resolve; });
  }
  return find().subscriptionId;
}

/** The fixture frame addressed to `subscriptionId`, optionally with a payload integer beyond 2^53. */
export function frameFor(fixtureText, subscriptionId, withBigInt) {
  const frame = JSON.parse(fixtureText);
  frame.data.subscriptions = [subscriptionId];
  const text = JSON.stringify(frame);
  // JSON.stringify cannot write a BigInt, so the digits go into the text directly.
  return withBigInt ? text.replace('"payload":{', `"payload":{"${bigField}":${bigValue},`) : text;
}

/**
 * Pushes `count` copies of `text` synchronously and returns the µs from the first push to the
 * `count`-th callback. Throws if a callback is missing or the last payload is not the expected one.
 */
export async function measure(text, count, expectedId, withBigInt) {
  let received = 0;
  let lastEvent = null;
  let finishedAt = 0;
  let finish;
  const finished = new Promise((resolve) => { finish = resolve; });
  onEvent = (event) => {
    received += 1;
    lastEvent = event;
    if (received === count) {
      finishedAt = performance.now();
      finish();
    }
  };

  const server = window.fakeServer;
  const startedAt = performance.now();
  for (let i = 0; i < count; i += 1) server.push(text);
  // Both SDKs dispatch synchronously today; the wait only matters if one ever defers.
  await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  // Let a late extra callback show up before the count is checked.
  await new Promise((resolve) => setTimeout(resolve, 0));
  onEvent = () => {};

  if (received !== count) throw new Error(`expected ${count} callbacks, got ${received}`);
  const payload = lastEvent.payload;
  if (payload?.$id !== expectedId) throw new Error(`last payload has $id ${payload?.$id}, expected ${expectedId}`);
  if (withBigInt && (typeof payload[bigField] !== 'bigint' || payload[bigField] !== bigValue)) {
    throw new Error(`${bigField} arrived as ${typeof payload[bigField]} ${String(payload[bigField])}, expected the BigInt ${bigValue}`);
  }
  return (finishedAt - startedAt) * 1000;
}
