'use client';
// The app's one module that imports the SDK: it subscribes once mounted, as a Next.js client
// component does. bench/first-event-tools.mjs fills in the SDK (`appwrite-realtime-wasm` or the
// official `appwrite`) and the channel, as bench/first-event.mjs's `appSource` does for the others.
import { useEffect } from 'react';
import { Client, Realtime } from '%SDK%';

export default function Events() {
  useEffect(() => {
    performance.mark('app');
    const client = new Client().setEndpoint(location.origin + '/v1').setProject('demo');
    const realtime = new Realtime(client);
    window.__bench.realtime = realtime;
    realtime.subscribe('%CHANNEL%', (event) => window.__bench.event(event)).then(window.__bench.subscribed, window.__bench.fail);
  }, []);
  return <p>first event</p>;
}
