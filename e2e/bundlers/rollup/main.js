// The default entry, bundled by Rollup 4 with @rollup/plugin-node-resolve, plus the README's one
// line: the .wasm files copied beside the bundle (Rollup emits no asset for new URL(…, import.meta.url)).
import { Client, Realtime, Channel } from 'appwrite-realtime-wasm';

const status = document.getElementById('status');
const show = (state, text = state) => { status.dataset.state = state; status.textContent = text; };

async function main() {
  const endpoint = new URLSearchParams(location.search).get('endpoint');
  const client = new Client().setEndpoint(endpoint).setProject('demo');
  const realtime = new Realtime(client);
  await realtime.subscribe(Channel.database('main').collection('posts').document(), (event) => {
    const item = document.createElement('li');
    item.dataset.documentId = event.payload.$id;
    item.textContent = `${event.events[0]}: ${event.payload.title}`;
    document.getElementById('events').prepend(item);
  });
  show('subscribed');
}

main().catch((error) => show('error', `error: ${error.message}`));
