// Subscribes to the emulator's posts collection and lists every event; the button writes a post.
import { Client, Realtime, Channel } from 'appwrite-realtime-wasm';
import './style.css';

const status = document.getElementById('status');
const show = (state) => { status.dataset.state = state; status.textContent = state; };

// No init(): the package's entry compiles the .wasm while it loads (top-level await), and Vite
// rewrites its `new URL('…_bg.wasm', import.meta.url)` to the emitted asset.

const endpoint = `${location.origin}/v1`;
const client = new Client().setEndpoint(endpoint).setProject('demo');
const realtime = new Realtime(client);
realtime.onError((error) => show(`error: ${error.message}`));

await realtime.subscribe(Channel.database('main').collection('posts').document(), (event) => {
  const item = document.createElement('li');
  item.dataset.documentId = event.payload.$id;
  item.textContent = `${event.events[0]}: ${event.payload.title}`;
  document.getElementById('events').prepend(item);
});
show('subscribed');

const create = document.getElementById('create');
create.disabled = false;
create.addEventListener('click', () => fetch(`${endpoint}/databases/main/collections/posts/documents`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json', 'X-Appwrite-Project': 'demo' },
  body: JSON.stringify({
    documentId: 'unique()',
    data: { title: `written from Vite at ${new Date().toLocaleTimeString()}` },
    permissions: ['read("any")'],
  }),
}));
