// The server of the time-to-first-event benchmark (bench/first-event.mjs), on 127.0.0.1 and a
// free port: static files from memory, gzip-encoded (the .wasm too) as a production server
// sends them, and /v1/realtime WebSocket upgrades relayed byte for byte to the emulator. The
// relay reads the frames both ways, so it sees each SDK's `subscribe` frame the moment it
// arrives; it then publishes through the emulator's POST /_emulator/publish (retried until the
// emulator has registered the subscription), the same way for every SDK. Server-side times are
// kept per connection (wall clock, ms) to compare with the page's.
// Chromium's network emulation delays the WebSocket handshake but not the frames after it; with
// `setFrameDelay(ms)` the relay holds every frame that long each way (half the round trip), as a
// real link would, and counts a frame as reaching the server when it leaves the relay.
import { Agent, createServer, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import { gzipSync } from 'node:zlib';

const now = () => performance.timeOrigin + performance.now();

/**
 * Calls `onText(text, at)` for each complete text frame of a WebSocket byte stream (client
 * frames are masked, server frames are not). Fragmented messages are not reassembled: neither
 * SDK nor the emulator fragments frames this small.
 */
function textFrames(onText) {
  let buffer = Buffer.alloc(0);
  const parse = (chunk, at) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    for (;;) {
      if (buffer.length < 2) return;
      const opcode = buffer[0] & 0x0f;
      const masked = (buffer[1] & 0x80) !== 0;
      let length = buffer[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffer.length < 4) return;
        length = buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffer.length < 10) return;
        length = Number(buffer.readBigUInt64BE(2));
        offset = 10;
      }
      const maskAt = offset;
      if (masked) offset += 4;
      if (buffer.length < offset + length) return;
      if (opcode === 1) {
        const payload = Buffer.from(buffer.subarray(offset, offset + length));
        if (masked) for (let i = 0; i < payload.length; i += 1) payload[i] ^= buffer[maskAt + (i & 3)];
        onText(payload.toString('utf8'), at);
      }
      buffer = buffer.subarray(offset + length);
    }
  };
  return parse;
}

const typeOf = (text) => {
  try {
    return JSON.parse(text).type ?? '?';
  } catch {
    return '?';
  }
};

/**
 * `files`: Map of URL path → { type, body }. `emulatorUrl`: where upgrades go and events are
 * published. `publication`: the body of POST /_emulator/publish sent on each subscribe frame.
 * Resolves with { url, connections, requests, reset(), close() }.
 */
export async function startFirstEventServer({ files, emulatorUrl, publication }) {
  const encoded = new Map([...files].map(([path, { type, body }]) => [path, { type, body, gzip: gzipSync(body, { level: 9 }) }]));
  const emulator = new URL(emulatorUrl);
  const state = { connections: [], requests: [], frameDelay: 0 };

  const server = createServer((request, response) => {
    const path = new URL(request.url, 'http://x').pathname;
    state.requests.push({ path, at: now() });
    const file = encoded.get(path);
    if (!file) {
      response.writeHead(404).end();
      return;
    }
    const gzip = /\bgzip\b/.test(request.headers['accept-encoding'] ?? '');
    const body = gzip ? file.gzip : file.body;
    response.writeHead(200, {
      'content-type': file.type,
      'content-length': body.length,
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    response.end(body);
  });

  // One kept-alive connection to the emulator, opened before the first run.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const publishBody = JSON.stringify(publication);
  const postPublish = () => new Promise((resolve, reject) => {
    const call = httpRequest(`${emulatorUrl}/_emulator/publish`, {
      method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(publishBody) },
    }, (reply) => {
      const chunks = [];
      reply.on('data', (chunk) => chunks.push(chunk));
      reply.on('end', () => {
        try { resolve(JSON.parse(Buffer.concat(chunks).toString())); } catch (error) { reject(error); }
      });
    });
    call.on('error', reject);
    call.end(publishBody);
  });

  /** POST /_emulator/publish until the emulator delivers it (it may not have read the frame yet). */
  async function publishOnce(connection) {
    connection.publishStartedAt = now();
    for (let attempt = 0; attempt < 2000; attempt += 1) {
      const reply = await postPublish();
      if (reply.delivered > 0) {
        connection.publishedAt = now();
        connection.publishAttempts = attempt + 1;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    connection.publishFailed = true;
  }

  server.on('upgrade', (request, socket, head) => {
    const connection = { url: request.url, upgradeAt: now(), fromClient: [], fromServer: [] };
    state.connections.push(connection);
    socket.setNoDelay(true);
    const upstream = connect(Number(emulator.port), emulator.hostname);
    upstream.setNoDelay(true);
    const headers = [];
    for (let i = 0; i < request.rawHeaders.length; i += 2) headers.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
    upstream.write(`${request.method} ${request.url} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`);
    if (head.length) upstream.write(head);

    // In order: equal delays fire first in, first out.
    const delay = state.frameDelay;
    const later = (work) => (delay > 0 ? setTimeout(work, delay) : work());
    let published = false;
    const fromClient = textFrames((text, at) => {
      const type = typeOf(text);
      connection.fromClient.push({ type, at });
      if (type === 'subscribe' && !published) {
        published = true;
        publishOnce(connection).catch((error) => { connection.publishFailed = error.message; });
      }
    });
    const fromServer = textFrames((text, at) => connection.fromServer.push({ type: typeOf(text), at }));
    let responseHead = Buffer.alloc(0);
    socket.on('data', (chunk) => later(() => {
      upstream.write(chunk);
      fromClient(chunk, now());
    }));
    upstream.on('data', (chunk) => {
      const at = now();
      if (connection.handshakeResponseAt === undefined) {
        responseHead = Buffer.concat([responseHead, chunk]);
        const end = responseHead.indexOf('\r\n\r\n');
        if (end < 0) return;
        connection.handshakeResponseAt = at;
        connection.status = Number(responseHead.toString('latin1', 9, 12));
        socket.write(responseHead.subarray(0, end + 4));
        chunk = responseHead.subarray(end + 4);
        if (chunk.length === 0) return;
      }
      fromServer(chunk, at);
      later(() => socket.write(chunk));
    });
    const closeBoth = () => { socket.destroy(); upstream.destroy(); };
    socket.on('close', closeBoth);
    upstream.on('close', closeBoth);
    socket.on('error', closeBoth);
    upstream.on('error', closeBoth);
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  await postPublish(); // warms the connection; nobody is subscribed yet
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    get connections() { return state.connections; },
    get requests() { return state.requests; },
    reset() {
      state.connections = [];
      state.requests = [];
    },
    /** Holds each WebSocket frame `ms` each way on the connections opened from now on. */
    setFrameDelay(ms) {
      state.frameDelay = ms;
    },
    close: () => new Promise((resolve) => { agent.destroy(); server.closeAllConnections?.(); server.close(resolve); }),
  };
}
