import init, { Client, Realtime, Channel } from '../pkg/appwrite_realtime_wasm.js';

const endpoint = `${location.origin}/v1`;
const project = 'demo';

const stateBadge = document.getElementById('state');
const setState = (state) => { stateBadge.textContent = state; stateBadge.dataset.state = state; };

function log(text) {
  const item = document.createElement('li');
  item.textContent = text;
  document.getElementById('log').prepend(item);
}

function renderPost(post) {
  let item = document.getElementById(`post-${post.$id}`);
  if (!item) {
    item = document.createElement('li');
    item.id = `post-${post.$id}`;
    document.getElementById('posts').prepend(item);
  }
  item.textContent = post.title;
}

async function rest(method, path, body) {
  const response = await fetch(`${endpoint}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', 'X-Appwrite-Project': project },
    body: body && JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
  return response.json();
}

await init();
const posts = Channel.database('main').collection('posts').document();
const client = new Client().setEndpoint(endpoint).setProject(project);
const realtime = new Realtime(client);
realtime.onOpen(() => setState('connected'));
realtime.onClose(() => setState('closed'));
realtime.onError((error) => log(`error ${error.code}: ${error.message}`));

const existing = await rest('GET', '/databases/main/collections/posts/documents');
existing.documents.forEach(renderPost);

setState('connecting');
await realtime.subscribe(posts, (event) => {
  log(`${event.timestamp} ${event.events[0]}`);
  if (event.events.some((name) => name.endsWith('.delete'))) {
    document.getElementById(`post-${event.payload.$id}`)?.remove();
  } else {
    renderPost(event.payload);
  }
});

document.getElementById('new-post').addEventListener('submit', async (submit) => {
  submit.preventDefault();
  const title = document.getElementById('title');
  await rest('POST', '/databases/main/collections/posts/documents', {
    documentId: 'unique()',
    data: { title: title.value },
    permissions: ['read("any")'],
  });
  title.value = '';
});
