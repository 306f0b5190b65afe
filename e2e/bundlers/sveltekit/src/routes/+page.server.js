// Runs on the server (adapter-node): the package imports under Node without loading the wasm.
import { Client, Query } from 'appwrite-realtime-wasm';

export function load() {
  return {
    query: Query.equal('status', ['published']),
    project: new Client().setProject('demo').config.project,
  };
}
