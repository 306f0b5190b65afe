// Installed as a Playwright init script, so `window.WebSocket` is this fake before any SDK loads.
// It plays a minimal Appwrite realtime server inside the page: the benchmark then measures frame
// decoding and dispatch alone, with no network or server time mixed in.
(() => {
  const connectedFrame = JSON.stringify({ type: 'connected', data: { channels: [], subscriptions: [], user: null } });

  /** What the benchmark reads and drives: the socket an SDK opened and the rows it subscribed. */
  const fakeServer = {
    socket: null,
    subscriptionRows: [],
    rowsArrived: null,
    /** Delivers one text frame the way a browser does: a MessageEvent dispatched on the socket. */
    push(text) {
      this.socket.dispatchEvent(new MessageEvent('message', { data: text }));
    },
  };
  window.fakeServer = fakeServer;

  // Each callback runs in its own task, as the browser's network events do.
  const later = (callback) => setTimeout(callback, 0);

  class FakeWebSocket extends EventTarget {
    static CONNECTING = 0;
    static OPEN = 1;
    static CLOSING = 2;
    static CLOSED = 3;

    constructor(url) {
      super();
      this.url = url;
      this.readyState = FakeWebSocket.CONNECTING;
      this.protocol = '';
      this.extensions = '';
      this.binaryType = 'blob';
      this.bufferedAmount = 0;
      // Handler attributes (`onmessage = …`) are listeners too; our SDK uses them, the official
      // SDK uses addEventListener, and both must see the same dispatch.
      for (const type of ['open', 'message', 'close', 'error']) {
        this[`on${type}`] = null;
        this.addEventListener(type, (event) => this[`on${type}`]?.call(this, event));
      }
      fakeServer.socket = this;
      later(() => {
        this.readyState = FakeWebSocket.OPEN;
        this.dispatchEvent(new Event('open'));
        later(() => this.reply(connectedFrame));
      });
    }

    send(text) {
      if (this.readyState !== FakeWebSocket.OPEN) {
        throw new DOMException('the socket is not open', 'InvalidStateError');
      }
      const frame = JSON.parse(text);
      if (frame.type === 'ping') {
        this.reply(JSON.stringify({ type: 'pong' }));
      } else if (frame.type === 'subscribe') {
        fakeServer.subscriptionRows.push(...frame.data);
        fakeServer.rowsArrived?.();
        const subscriptions = frame.data.map(({ subscriptionId, channels }) => ({ subscriptionId, channels, queries: [] }));
        this.reply(JSON.stringify({ type: 'response', data: { to: 'subscribe', success: true, subscriptions } }));
      }
    }

    close(code = 1000, reason = '') {
      if (this.readyState >= FakeWebSocket.CLOSING) return;
      this.readyState = FakeWebSocket.CLOSING;
      later(() => {
        this.readyState = FakeWebSocket.CLOSED;
        this.dispatchEvent(new CloseEvent('close', { code, reason, wasClean: true }));
      });
    }

    reply(text) {
      later(() => {
        if (this.readyState === FakeWebSocket.OPEN) fakeServer.push(text);
        fakeServer.replied?.();
      });
    }
  }

  window.WebSocket = FakeWebSocket;
})();
