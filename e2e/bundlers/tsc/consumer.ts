// Type-checked (never run) by e2e/bundlers.test.mjs under several moduleResolution settings.
import { Client, Realtime, Channel, Query, RealtimeError } from 'appwrite-realtime-wasm';
import init from 'appwrite-realtime-wasm/slim';

export async function start(endpoint: string): Promise<string> {
  await init();
  const client: Client = new Client().setEndpoint(endpoint).setProject('demo');
  const realtime = new Realtime(client);
  const query: string = Query.equal('status', ['published']);
  try {
    let last = '';
    const subscription = await realtime.subscribe(Channel.database('main').collection('posts').document(), (event) => {
      last = `${event.events[0]} ${String(event.payload.$id)}`;
    });
    await subscription.close();
    if (last) return last;
  } catch (error) {
    if (error instanceof RealtimeError) return `${error.kind}: ${error.message}`;
    throw error;
  }
  return query;
}
