// `Channel`: the official SDK's channel builders as one class; the typestate lives in the
// TypeScript declarations. Every step is checked and written in Rust (channelStep,
// src/channel.rs); an object here only carries its channel string and its step's code.
//
// Copied beside the wasm-bindgen snippets by scripts/build, so the generated module is three
// directories up.
import { channelStep } from '../../../appwrite_realtime_wasm.js';

export class Channel {
  #path;
  #step;

  constructor(path, step) {
    this.#path = path;
    this.#step = step;
  }

  /** The channel this one leads to through step `code` (src/channel.rs lists the codes). */
  #next(code, id) {
    return new Channel(channelStep(this.#path, this.#step, code, id), code);
  }

  toString() {
    return this.#path;
  }

  static database(id) {
    return START.#next(0, id);
  }
  static tablesdb(id) {
    return START.#next(1, id);
  }
  static bucket(id) {
    return START.#next(2, id);
  }
  static function(id) {
    return START.#next(3, id);
  }
  static execution(id) {
    return START.#next(4, id);
  }
  static team(id) {
    return START.#next(5, id);
  }
  static membership(id) {
    return START.#next(6, id);
  }
  static presence(id) {
    return START.#next(7, id);
  }
  collection(id) {
    return this.#next(8, id);
  }
  document(id) {
    return this.#next(9, id);
  }
  table(id) {
    return this.#next(10, id);
  }
  row(id) {
    return this.#next(11, id);
  }
  file(id) {
    return this.#next(12, id);
  }
  create() {
    return this.#next(13);
  }
  update() {
    return this.#next(14);
  }
  upsert() {
    return this.#next(15);
  }
  delete() {
    return this.#next(16);
  }

  static account() {
    return 'account';
  }
  static documents() {
    return 'documents';
  }
  static rows() {
    return 'rows';
  }
  static files() {
    return 'files';
  }
  static executions() {
    return 'executions';
  }
  static teams() {
    return 'teams';
  }
  static memberships() {
    return 'memberships';
  }
  static presences() {
    return 'presences';
  }
}

/** The empty channel every first step starts from. */
const START = new Channel('', 0);
