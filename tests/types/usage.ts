// Compiled with `tsc --noEmit --strict` by npm test: the valid uses must type-check, and every
// `@ts-expect-error` line must be an error (tsc fails if one of them compiles).
import init, {
  Channel,
  Client,
  Query,
  Realtime,
  type ChannelLike,
  type LiveChange,
  type LiveView,
  type LiveViewStatus,
  type RealtimeRow,
  type RealtimeError,
  type RealtimeResponseEvent,
  type RealtimeStats,
  type RealtimeSubscription,
} from '../../pkg/appwrite_realtime_wasm.js';
import type { Channel as ChannelOf, Document as DocumentStep } from '../../pkg/appwrite_realtime_wasm.js';
import {
  Channel as OfficialChannel,
  Client as OfficialClient,
  Query as OfficialQuery,
} from 'appwrite';

interface Post {
  title: string;
  views: bigint;
}

export async function validUses(): Promise<void> {
  await init();
  const client = new Client().setEndpoint('http://127.0.0.1:8787/v1').setProject('demo');
  const project: string = client.config.project; // the official client's shape
  void project;
  const realtime = new Realtime(client, { heartbeatInterval: 1000, pongTimeout: 500 });

  const subscription: RealtimeSubscription = await realtime.subscribe<Post>(
    Channel.database('main').collection('posts').document(),
    (event: RealtimeResponseEvent<Post>) => {
      const title: string = event.payload.title;
      const views: bigint = event.payload.views;
      const names: string[] = event.events;
      void [title, views, names];
    },
    [Query.equal('status', ['published']), Query.greaterThan('views', 5n), Query.isNull('deletedAt')],
  );
  const { unsubscribe, update, close } = subscription;
  await update({ channels: [Channel.files(), Channel.bucket('b').file().create()] });
  await update({ queries: [Query.or([Query.lessThan('views', 1), Query.equal('pinned', true)])] });
  // The REST-only builders, for the official SDK's list calls.
  const page: string[] = [
    Query.orderAsc('title'),
    Query.orderDesc('$createdAt'),
    Query.limit(25),
    Query.offset(0),
    Query.cursorAfter('a1'),
    Query.cursorBefore('b2'),
  ];
  void page;
  await unsubscribe();
  await close();

  const channels: ChannelLike[] = [
    'account',
    Channel.tablesdb('db').table('t').row('r').upsert(),
    Channel.presence('p').update(),
    Channel.team('t').delete(),
    Channel.function('f'),
    Channel.execution('e'),
  ];
  await realtime.subscribe(channels, (event) => {
    const payload: Record<string, unknown> = event.payload;
    void payload;
  });
  await realtime.upsertPresence({ status: 'online', metadata: { page: 'home' } });
  realtime.onError((error: RealtimeError, code: number) => {
    const kind: 'server' | 'terminal' | string = error.kind;
    void [kind, code, error.message];
  });
  const stopListening: () => void = realtime.onOpen(() => {});
  stopListening();
  realtime.onClose(() => {});
  realtime.onResync(() => {});
  realtime.onStateChange(({ status, retryIn, lastError }) => void [status, retryIn, lastError?.kind]);
  const status: 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed' | 'failed' = realtime.state.status;
  const protocol: 'message' | 'url' = realtime.state.protocol;
  void [status, protocol];
  const { eventsDelivered, lastPingRoundTrip, recoveries }: RealtimeStats = realtime.stats();
  const roundTrip: number | null = lastPingRoundTrip;
  void [eventsDelivered, roundTrip, recoveries satisfies number];
  const report: string = realtime.debugLog().map(({ time, direction, type, detail }) => `${time} ${direction} ${type} ${detail}`).join('\n');
  void report;
  void new Realtime(client, { hiddenTimeout: 300_000 });
  const shared = new Realtime(client, { shareAcrossTabs: true });
  const sharing: 'off' | 'unavailable' | 'owner' | 'member' = shared.state.sharing;
  const tabs: number = shared.state.tabs;
  const sharedFrames: number | undefined = shared.stats().shared?.framesIn;
  void [sharing, tabs, sharedFrames];
  // @ts-expect-error shareAcrossTabs is a boolean
  void new Realtime(client, { shareAcrossTabs: 'yes' });
  const stop: () => void = client.subscribe(['files', 'account'], (event) => void event.channels);
  stop();

  interface Card extends RealtimeRow { title: string }
  const view: LiveView<Card> = await realtime.live<Card>(
    Channel.tablesdb('main').table('cards').row(),
    [Query.equal('status', 'published'), Query.orderDesc('$createdAt'), Query.limit(10)],
    (changed, changes: LiveChange<Card>[]) => {
      const titles: string[] = changed.rows.map((card) => card.title);
      for (const { type, row, oldIndex, newIndex } of changes) void [type, row.title, oldIndex + newIndex, titles];
    },
  );
  const liveStatus: LiveViewStatus = view.status;
  void [liveStatus, view.error?.kind];
  await view.close();
  // @ts-expect-error a live view's rows are Appwrite rows
  void realtime.live<{ title: string }>('tablesdb.main.tables.cards.rows', [], () => {});
  await realtime.disconnect();
}

/** Code from the official docs, with only the import changed, and the official SDK's objects. */
export async function officialDocsCode(): Promise<void> {
  const client = new Client().setEndpoint('https://cloud.appwrite.io/v1').setProject('<PROJECT_ID>');
  const realtime = new Realtime(client);
  const subscription = await realtime.subscribe('files', (response) => {
    console.log(response.payload.text.toUpperCase());
  });
  await subscription.close();

  const official = new OfficialClient().setEndpoint('https://cloud.appwrite.io/v1').setProject('p');
  const shared = new Realtime(official);
  const document: ChannelOf<DocumentStep> = Channel.database('db').collection('c').document('d');
  await shared.subscribe(
    [OfficialChannel.database('db').collection('c').document(), document, Channel.files()],
    (event) => void event.payload,
    [OfficialQuery.equal('status', ['published']), [Query.isNull('deletedAt')]],
  );
}

export function misuses(client: Client, realtime: Realtime): void {
  // @ts-expect-error a database has collections before documents
  Channel.database('db').document();
  // @ts-expect-error executions take no action suffix
  Channel.execution('e').create();
  // @ts-expect-error upsert exists only on documents, rows and presences
  Channel.bucket('b').file().upsert();
  // @ts-expect-error nothing follows an action
  Channel.team('t').create().update();
  // @ts-expect-error the payload type is checked
  void realtime.subscribe<Post>('documents', (event) => { const views: string = event.payload.views; void views; });
  // @ts-expect-error options are named
  void new Realtime(client, { heartbeat: 5 });
  // @ts-expect-error query values are scalars or lists of scalars
  Query.equal('a', { nested: true });
  // @ts-expect-error limit is a number
  Query.limit('10');
  // @ts-expect-error offset is a number, not a bigint
  Query.offset(10n);
  // @ts-expect-error order needs an attribute
  Query.orderAsc();
  // @ts-expect-error a cursor is a row's ID
  Query.cursorAfter(5);
  // @ts-expect-error presence needs a status
  void realtime.upsertPresence({ presenceId: 'p' });
  // @ts-expect-error log directions are a closed union
  const sideways: ReturnType<Realtime['debugLog']>[number]['direction'] = 'sideways';
  void sideways;
  // @ts-expect-error statuses are a closed union
  const offline: typeof realtime.state.status = 'offline';
  void offline;
  // @ts-expect-error error kinds are a closed union
  const kind: RealtimeError['kind'] = 'oops';
  void kind;
}
