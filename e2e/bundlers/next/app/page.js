// A server component, prerendered at build time: the package imports under Node (its `node`
// entry loads no wasm at import) and its Client and Query work there.
import { Client, Query } from 'appwrite-realtime-wasm';
import Events from './events.js';

export default function Page() {
  return (
    <main>
      <p id="server-query">{Query.equal('status', ['published'])}</p>
      <p id="server-project">{new Client().setProject('demo').config.project}</p>
      <Events />
    </main>
  );
}
