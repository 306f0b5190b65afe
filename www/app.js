// The live board: cards are documents written over REST; every change reaches every open window
// through one realtime subscription, which the controls switch, pause and disturb.
import { Client, Realtime, Channel, Query } from '../pkg/index.js';
import { createBoard } from './board.js';
import { createLog } from './log.js';
import { createApi } from './api.js';


const api = createApi(`${location.origin}/v1`, 'demo');
const client = new Client().setEndpoint(`${location.origin}/v1`).setProject('demo');
// The tabs of this page share one socket: one tab holds it, the others' subscriptions go through it.
const realtime = new Realtime(client);

// What the channel selector offers; `accepts` mirrors the queries for the cards the REST list returns.
const views = {
  posts: { collection: 'posts', queries: [], accepts: () => true },
  published: {
    collection: 'posts',
    queries: [Query.equal('status', ['published'])],
    accepts: (card) => card.status === 'published',
  },
  ideas: { collection: 'ideas', queries: [], accepts: () => true },
};
const channelOf = (view) => String(Channel.database('main').collection(view.collection).document());

const element = (id) => document.getElementById(id);
const stateBadge = element('state');
const channelSelect = element('channel');
const toggle = element('subscription-toggle');

const me = sessionStorage.getItem('board-name') ?? randomName();
sessionStorage.setItem('board-name', me);
element('identity').textContent = `you are ${me}`;

const log = createLog(element('log'));
const board = createBoard(element('posts'), {
  me,
  like: (card) => run(() => api.updateDocument(view.collection, card.$id, { likes: (card.likes ?? 0) + 1 })),
  remove: (card) => run(() => api.deleteDocument(view.collection, card.$id)),
});

let view = views[channelSelect.value];
let subscription = null;

/** The badge: the connection's status, and how many tabs share its socket when more than one. */
function setState(state, { sharing = 'off', tabs = 1 } = {}) {
  stateBadge.dataset.state = state;
  stateBadge.textContent = state;
  const shared = (sharing === 'owner' || sharing === 'member') && tabs > 1 && state !== 'closed';
  stateBadge.dataset.sharing = shared ? sharing : 'off';
  stateBadge.title = !shared ? '' : sharing === 'owner'
    ? `This tab holds the socket that ${tabs} tabs share`
    : `Another tab holds the socket that ${tabs} tabs share; this tab's events come through it`;
  if (shared) {
    const note = document.createElement('span');
    note.className = 'badge-shared';
    note.textContent = ` · shared by ${tabs} tabs`;
    stateBadge.append(note);
  }
}

// The badge shows the connection's status; `idle` (no subscription left) reads as closed. The
// state also changes when a tab joins or leaves the shared socket: the log notes status changes only.
let lastStatus;
realtime.onStateChange(({ status, retryIn, sharing, tabs }) => {
  setState(status === 'idle' ? 'closed' : status, { sharing, tabs });
  if (`${status} ${retryIn}` === lastStatus) return;
  lastStatus = `${status} ${retryIn}`;
  if (status === 'connected') log.note('connected');
  if (status === 'reconnecting') log.note(`connection lost, reconnecting in ${retryIn} ms…`);
  if (status === 'idle') log.note('socket closed');
});
realtime.onError((error, code) => log.note(`${error.kind} error ${code}: ${error.message}`, 'error'));

// What the connection did so far, from `realtime.stats()`, refreshed every second.
function showStats() {
  const { eventsDelivered, framesIn, bytesIn, framesOut, reconnects, lastPingRoundTrip } = realtime.stats();
  const ping = lastPingRoundTrip === null ? '' : ` · ping ${Math.round(lastPingRoundTrip)} ms`;
  element('stats').textContent = `${eventsDelivered} events · ${framesIn} frames in (${(bytesIn / 1024).toFixed(1)} KB) · `
    + `${framesOut} out · ${reconnects} reconnects${ping}`;
}
setInterval(showStats, 1000);
showStats();
// What a bug report needs, with sessions, JWTs and payloads already left out.
element('copy-report').addEventListener('click', () => run(async () => {
  const report = { state: realtime.state, stats: realtime.stats(), log: realtime.debugLog() };
  await navigator.clipboard.writeText(JSON.stringify(report, null, 2));
  log.note(`bug report copied (${report.log.length} log entries)`);
}));
// The server replays nothing: after a reconnect, reload what may have changed meanwhile.
realtime.onResync(() => {
  log.note('resynced: reloading the board');
  run(loadBoard);
});

function onEvent(event) {
  log.event(event, channelOf(view));
  const card = event.payload;
  if (event.events.some((name) => name.endsWith('.delete'))) board.remove(card.$id);
  else board.upsert(card, { changed: true });
}

async function subscribe() {
  try {
    subscription = await realtime.subscribe(channelOf(view), onEvent, view.queries);
    log.note(`subscribed to ${channelOf(view)}`);
  } catch (error) {
    setState('closed');
    log.note(`subscribe failed: ${error.message}`, 'error');
  }
}

async function unsubscribe() {
  const closing = subscription;
  subscription = null;
  // close() rather than unsubscribe(): it also closes the socket, as this is the only subscription.
  await closing.close();
  log.note('unsubscribed');
}

async function switchView(next) {
  view = next;
  // update() swaps channels and queries on the same socket; no event of the old view follows it.
  if (subscription) {
    await subscription.update({ channels: [channelOf(view)], queries: view.queries });
    log.note(`switched to ${channelOf(view)}`);
  }
  await loadBoard();
}

async function loadBoard() {
  const { documents } = await api.listDocuments(view.collection);
  element('board-collection').textContent = view.collection;
  board.reset(documents.filter(view.accepts));
}

function renderControls() {
  const subscribed = subscription !== null;
  toggle.dataset.subscribed = String(subscribed);
  toggle.textContent = subscribed ? 'Unsubscribe' : 'Subscribe';
  const queries = view.queries.length ? `,\n  [${view.queries.map((q) => `'${q}'`).join(', ')}]` : '';
  element('subscription-code').textContent = subscribed
    ? `realtime.subscribe(\n  '${channelOf(view)}',\n  onEvent${queries})`
    : '// not subscribed: the board is not live';
}

/** Runs a user action with the controls disabled meanwhile, logging instead of throwing. */
async function run(action) {
  toggle.disabled = channelSelect.disabled = true;
  try {
    await action();
  } catch (error) {
    log.note(error.message, 'error');
  } finally {
    toggle.disabled = channelSelect.disabled = false;
    renderControls();
  }
}

toggle.addEventListener('click', () => run(subscription ? unsubscribe : subscribe));
channelSelect.addEventListener('change', () => run(() => switchView(views[channelSelect.value])));
element('drop').addEventListener('click', () => run(async () => {
  const { affected } = await api.dropConnections();
  log.note(`the emulator cut ${affected} socket(s) without a close frame`, 'warning');
}));
element('clear-log').addEventListener('click', () => log.clear());
element('new-post').addEventListener('submit', (submit) => {
  submit.preventDefault();
  const title = element('title');
  const draft = element('draft');
  const data = { title: title.value.trim(), status: draft.checked ? 'draft' : 'published', likes: 0, author: me };
  title.value = '';
  run(() => api.createDocument(view.collection, data));
});

function randomName() {
  const colours = ['Amber', 'Coral', 'Indigo', 'Jade', 'Lilac', 'Olive', 'Ruby', 'Teal'];
  const animals = ['Otter', 'Falcon', 'Lynx', 'Heron', 'Panda', 'Fox', 'Koala', 'Orca'];
  const pick = (list) => list[Math.floor(Math.random() * list.length)];
  return `${pick(colours)} ${pick(animals)}`;
}

await run(async () => {
  await loadBoard();
  await subscribe();
});
