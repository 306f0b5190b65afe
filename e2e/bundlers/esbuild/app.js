// The page's code, given the package's classes by the entry each row bundles.
export function run({ Client, Realtime, Channel }) {
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
}
