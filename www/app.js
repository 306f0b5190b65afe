// The live board: cards are documents written over REST. The board is a live view
// (`realtime.live()`), kept equal to the REST list of its queries through drops and reconnects by
// the SDK; a plain subscription on the same socket feeds the event log. The controls switch,
// pause and disturb both.
import { Client, Realtime, Channel, Query } from '../pkg/index.js';
import { createBoard } from './board.js';
import { createLog } from './log.js';
import { createApi } from './api.js';


const api = createApi(`${location.origin}/v1`, 'demo');
const client = new Client().setEndpoint(`${location.origin}/v1`).setProject('demo');
// The tabs of this page share one socket: one tab holds it, the others' subscriptions go through it.
const realtime = new Realtime(client);

// What the channel selector offers: a collection and the filters of its board (`code` shows them).
const choices = {
  posts: { collection: 'posts', filters: [], code: '' },
  published: {
    collection: 'posts',
    filters: [Query.equal('status', ['published'])],
    code: "Query.equal('status', ['published'])",
  },
  ideas: { collection: 'ideas', filters: [], code: '' },
};
const channelOf = (choice) => String(Channel.database('main').collection(choice.collection).document());
// Newest first; a REST list returns 25 documents unless told otherwise: the board shows up to 1,000.
const ORDER = [Query.orderDesc('$sequence'), Query.limit(1000)];
const ORDER_CODE = ["Query.orderDesc('$sequence')", 'Query.limit(1000)'];

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
  like: (card) => run(() => api.updateDocument(choice.collection, card.$id, { likes: (card.likes ?? 0) + 1 })),
  remove: (card) => run(() => api.deleteDocument(choice.collection, card.$id)),
});

let choice = choices[channelSelect.value];
/** The board's live view while subscribed, and the event log's subscription beside it. */
let live = null;
let events = null;
/** Every view not closed yet: the board's, and for a moment the one that replaces it. */
const openViews = new Set();
/** The connection's last state, from `onStateChange`. */
let connection = null;

let shownState;
/** The badge: a status, and how many tabs share the socket when more than one. */
function setState(state, { sharing = 'off', tabs = 1 } = {}) {
  const shared = (sharing === 'owner' || sharing === 'member') && tabs > 1 && state !== 'closed';
  const key = `${state} ${shared ? `${sharing} ${tabs}` : 'off'}`;
  if (key === shownState) return;
  shownState = key;
  stateBadge.dataset.state = state;
  stateBadge.textContent = state.replace('-', ' ');
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

/**
 * The connection's status (`idle`, no subscription left, reads as closed), or `catching up` while
 * connected with a view that lists what a gap may have hidden. Runs on every state change and on
 * every call of a view's `onChange` (see `openView`): nothing is polled.
 */
function showBadge() {
  if (!connection) return;
  const { status, sharing, tabs } = connection;
  const catchingUp = [...openViews].some((view) => view.status === 'catching-up');
  const state = status === 'idle' ? 'closed' : status === 'connected' && catchingUp ? 'catching-up' : status;
  setState(state, { sharing, tabs });
}

// The state also changes when a tab joins or leaves the shared socket: the log notes status changes only.
let lastStatus;
realtime.onStateChange((state) => {
  connection = state;
  showBadge();
  const { status, retryIn } = state;
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

/**
 * A live view of `next`'s board: equal to the REST list of its queries, through drops and
 * reconnects (after a gap it lists again by itself, `catching-up` meanwhile). `onChange` gets
 * each batch of changes, or none when only the status changed.
 */
async function openView(next) {
  let was = 'synced';
  const view = await realtime.live(channelOf(next), [...next.filters, ...ORDER], (view, changes) => {
    if (view === live) {
      // `status` is the one the batch left: a catch-up's changes come with `synced`.
      if (view.status === 'catching-up' && was !== 'catching-up') {
        log.note('catching up: listing what a gap may have hidden');
      } else if (was === 'catching-up' && view.status === 'synced') {
        log.note(changes.length ? `caught up: ${changes.length} change(s) the events did not bring` : 'caught up: nothing was missed');
      }
      const flash = changes.filter((change) => change.type !== 'removed').map((change) => change.row.$id);
      board.show(view.rows, { flash });
    }
    was = view.status;
    showBadge();
  });
  openViews.add(view);
  return view;
}

async function closeView(view) {
  openViews.delete(view);
  await view.close();
  showBadge();
}

/** Makes `view` (of `next`) the board's. */
function showView(view, next) {
  live = view;
  choice = next;
  board.show(view.rows);
  element('board-collection').textContent = next.collection;
}

function onEvent(event) {
  log.event(event, channelOf(choice));
}

async function subscribe() {
  try {
    showView(await openView(choice), choice);
    events = await realtime.subscribe(channelOf(choice), onEvent, choice.filters);
    log.note(`live view and event log of ${channelOf(choice)}`);
  } catch (error) {
    log.note(`subscribe failed: ${error.message}`, 'error');
    const view = live;
    live = null;
    if (view) await closeView(view);
    setState('closed');
  }
}

async function unsubscribe() {
  const view = live;
  const subscription = events;
  live = events = null;
  // close() rather than unsubscribe(): the last of the two to end closes the socket.
  await closeView(view);
  await subscription.close();
  log.note('unsubscribed: the board is not live');
}

async function switchView(next) {
  if (!live) {
    choice = next;
    element('board-collection').textContent = next.collection;
    board.clear(`Not live: subscribe to see the cards of ${next.collection}.`);
    return;
  }
  // A live view keeps its channel and queries: open the new one first, then close the old.
  const previous = live;
  let view;
  try {
    view = await openView(next);
  } catch (error) {
    channelSelect.value = Object.keys(choices).find((key) => choices[key] === choice);
    throw error;
  }
  showView(view, next);
  await closeView(previous);
  // update() swaps the event log's channels and queries on the same socket; no event of the old
  // setting follows it.
  await events.update({ channels: [channelOf(next)], queries: next.filters });
  log.note(`switched to ${channelOf(next)}`);
}

function renderControls() {
  const subscribed = live !== null;
  toggle.dataset.subscribed = String(subscribed);
  toggle.textContent = subscribed ? 'Unsubscribe' : 'Subscribe';
  const queries = (list) => list.map((query) => `  ${query},\n`).join('');
  const filters = choice.code ? [choice.code] : [];
  element('subscription-code').textContent = subscribed
    ? `const channel =\n  '${channelOf(choice)}';\n`
      + `realtime.live(channel, [\n${queries([...filters, ...ORDER_CODE])}], render);\n`
      + `realtime.subscribe(channel, logEvent${filters.length ? `, [\n${queries(filters)}]` : ''});`
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

toggle.addEventListener('click', () => run(live ? unsubscribe : subscribe));
channelSelect.addEventListener('change', () => run(() => switchView(choices[channelSelect.value])));
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
  run(() => api.createDocument(choice.collection, data));
});

function randomName() {
  const colours = ['Amber', 'Coral', 'Indigo', 'Jade', 'Lilac', 'Olive', 'Ruby', 'Teal'];
  const animals = ['Otter', 'Falcon', 'Lynx', 'Heron', 'Panda', 'Fox', 'Koala', 'Orca'];
  const pick = (list) => list[Math.floor(Math.random() * list.length)];
  return `${pick(colours)} ${pick(animals)}`;
}

await run(subscribe);
