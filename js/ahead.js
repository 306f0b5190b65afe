// The socket a tab opens ahead, before it knows whether it will own its group's socket (js/tabs.js).
// A page's first Web Lock request costs about 10 ms (40 ms with the CPU slowed 4x) before the
// lock is granted, and the group's socket waited for it: the first event came that much later
// than with a socket of its own (bench/first-event-tools.mjs). A tab's first shared connection
// now opens its WebSocket at once; the relay takes it if this tab gets the lock, and it is closed
// if another tab's socket serves. So that a second tab does not open one for nothing, owners
// note in localStorage that they are alive, and a tab that finds a fresh note opens none ahead.

const OWNER_NOTE = 'appwrite-realtime-wasm:owner';
/** How often an owner renews its note, and how long a note counts as fresh. */
const NOTE_EVERY = 5_000;
const NOTE_FRESH = 15_000;
/** A socket opened ahead that nobody took by then is closed. */
const KEEP_AHEAD = 10_000;

let ahead;
let noting;

function ownerNoted() {
  try {
    const at = Number(localStorage.getItem(OWNER_NOTE)?.split(' ')[1]);
    return Date.now() - at < NOTE_FRESH;
  } catch {
    return true; // no storage: open none ahead, as before
  }
}

/** Opens a WebSocket to `url` now, unless one is open ahead or another tab's owner noted it is alive. */
export function openAhead(url) {
  if (ahead || ownerNoted()) return;
  let ws;
  try {
    ws = new WebSocket(url);
  } catch {
    return; // refused: the relay's own attempt reports it
  }
  const frames = [];
  ws.onmessage = ({ data }) => frames.push(data);
  ws.onclose = () => ahead?.ws === ws && dropAhead();
  ahead = { url, ws, frames, timer: setTimeout(dropAhead, KEEP_AHEAD) };
}

/** The socket opened ahead to `url`, still open, and the frames it received; it is the caller's now. */
export function takeAhead(url) {
  const taken = ahead;
  if (!taken || taken.url !== url || taken.ws.readyState > 1) return undefined;
  clearTimeout(taken.timer);
  ahead = undefined;
  taken.ws.onmessage = taken.ws.onclose = null;
  return taken;
}

/** Closes the socket opened ahead: another tab's socket serves this one. */
export function dropAhead() {
  const dropped = ahead;
  ahead = undefined;
  if (!dropped) return;
  clearTimeout(dropped.timer);
  dropped.ws.onmessage = dropped.ws.onclose = null;
  dropped.ws.close(1000);
}

/** While `owning()`, notes every few seconds that tab `tabId` owns a socket; its note goes with the page. */
export function noteOwner(tabId, owning) {
  const note = () => {
    try {
      if (owning()) return localStorage.setItem(OWNER_NOTE, `${tabId} ${Date.now()}`);
      clearInterval(noting);
      noting = undefined;
      if (localStorage.getItem(OWNER_NOTE)?.startsWith(`${tabId} `)) localStorage.removeItem(OWNER_NOTE);
    } catch {
      // no storage: tabs that load open none ahead
    }
  };
  if (noting) return;
  note();
  noting = setInterval(note, NOTE_EVERY);
  globalThis.addEventListener?.('pagehide', () => {
    try {
      if (localStorage.getItem(OWNER_NOTE)?.startsWith(`${tabId} `)) localStorage.removeItem(OWNER_NOTE);
    } catch {
      // no storage
    }
  }, { once: true });
}
