// The inline entry (the .wasm embedded), bundled by esbuild as an ES2020 IIFE, which has no
// import.meta.url to find a .wasm beside it.
import { Client, Realtime, Channel } from 'appwrite-realtime-wasm/inline';
import { run } from './app.js';

run({ Client, Realtime, Channel });
