// The live board in www/, served by the emulator: two windows see each other's changes, the
// controls switch and pause the subscription, a network drop shows the reconnect, and the board
// (a live view) stays equal to the REST list of its queries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useEmulatorAndBrowser, root, browserName, until, restCall, controlCall } from './harness.mjs';

const suite = useEmulatorAndBrowser();

async function openBoard(viewport = { width: 1280, height: 800 }) {
  const page = await suite.browser.newPage();
  await page.setViewportSize(viewport);
  await page.goto(`${suite.emulator.url}/www/`);
  await page.locator('#state[data-state="connected"]').waitFor({ timeout: 10_000 });
  // The board's live view is loaded and the event log subscribed once the toggle offers Unsubscribe.
  await page.locator('#subscription-toggle[data-subscribed="true"]').waitFor({ timeout: 10_000 });
  return page;
}

async function addCard(page, title, { draft = false } = {}) {
  await page.fill('#title', title);
  await page.setChecked('#draft', draft);
  await page.click('#new-post button[type="submit"]');
}

const card = (page, title) => page.locator('#posts .card', { hasText: title });
/** The badge's states from a drop on: then `catching up` while the board's view lists what it missed. */
const RECONNECT_STATES = ['reconnecting', 'connecting', 'connected', 'catching-up'];

/** A REST call to the emulator as the demo project. */
const rest = (method, path, body) => restCall(suite.emulator.url, method, path, body);

/** A POST to the emulator's control surface. */
const control = (action, body) => controlCall(suite.emulator.url, action, body);

const posts = '/databases/main/collections/posts/documents';
const createPost = (data) => rest('POST', posts, { documentId: 'unique()', data, permissions: ['read("any")'] });
// The board's queries, as the official SDK writes them: newest first, up to 1,000 cards.
const ORDER = ['{"method":"orderDesc","attribute":"$sequence"}', '{"method":"limit","values":[1000]}'];
const PUBLISHED = ['{"method":"equal","attribute":"status","values":["published"]}'];

/** The ids of the REST list of `queries`, in its order: the oracle. */
async function listed(queries) {
  const query = queries.map((text, index) => `queries[${index}]=${encodeURIComponent(text)}`).join('&');
  return (await rest('GET', `${posts}?${query}`)).documents.map((document) => document.$id);
}

/** Waits until the board shows the cards of the REST list of `queries`, in its order. */
async function boardEqualsRest(page, queries) {
  let last;
  await until('the board to equal the REST list', async () => {
    const expected = await listed(queries);
    const shown = await page.locator('#posts .card').evaluateAll((items) => items.map((item) => item.dataset.id));
    last = { expected, shown };
    return JSON.stringify(shown) === JSON.stringify(expected);
  }).catch((error) => {
    error.message += `\n${JSON.stringify(last)}`;
    throw error;
  });
  return last.shown;
}

test('the board loads the wasm module, connects and shows the seeded cards', async () => {
  const page = await openBoard();
  assert.equal(await page.locator('#state').textContent(), 'connected');
  await card(page, 'Welcome to the emulator').waitFor();
  assert.equal(await page.locator('#posts .card[data-status="draft"]', { hasText: 'A draft post' }).count(), 1);
  await page.close();
});

test('two windows share one socket: the emulator sees 1 and both badges say so', async () => {
  const first = await openBoard();
  const second = await openBoard();
  for (const page of [first, second]) {
    await page.locator('#state', { hasText: 'shared by 2 tabs' }).waitFor({ timeout: 5_000 });
    assert.equal(await page.locator('#state').textContent(), 'connected · shared by 2 tabs');
  }
  assert.deepEqual(
    [await first.locator('#state').getAttribute('data-sharing'), await second.locator('#state').getAttribute('data-sharing')].sort(),
    ['member', 'owner'],
  );
  // The sockets of the tests before may take a moment to close at the server.
  const deadline = Date.now() + 5_000;
  let total;
  do {
    ({ total } = await (await fetch(`${suite.emulator.url}/_emulator/connections`)).json());
    if (total !== 1) await new Promise((resolve) => setTimeout(resolve, 50));
  } while (total !== 1 && Date.now() < deadline);
  assert.equal(total, 1);
  await second.close();
  await first.close();
});

test('a card created in one window appears in the other in under a second', async () => {
  const writer = await openBoard();
  const reader = await openBoard();
  const title = `latency probe ${Date.now()}`;
  // Both timestamps come from the same browser clock: the submit in one page, the DOM insert in the other.
  await reader.evaluate((title) => {
    window.cardShownAt = new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        if ([...document.querySelectorAll('#posts .card-title')].some((node) => node.textContent === title)) {
          observer.disconnect();
          resolve(Date.now());
        }
      });
      observer.observe(document.getElementById('posts'), { childList: true, subtree: true });
    });
  }, title);
  await writer.fill('#title', title);
  const sentAt = await writer.evaluate(() => {
    document.getElementById('new-post').requestSubmit();
    return Date.now();
  });
  const shownAt = await reader.evaluate(() => window.cardShownAt);
  const latency = shownAt - sentAt;
  console.log(`cross-window latency (REST create to card shown in the other window): ${latency} ms`);
  assert.ok(latency < 1000, `the card took ${latency} ms to appear`);
  // The stats line, from realtime.stats(), counts the event within its one-second refresh: one
  // delivery to the board's live view and one to the event log's subscription.
  await reader.locator('#stats', { hasText: /^2 events · \d+ frames in/ }).waitFor({ timeout: 3_000 });

  const logged = await reader.locator('#log li[data-kind="event"]').first().textContent();
  assert.match(logged, /databases\.main\.collections\.posts\.documents\.[^.]+\.create/);
  await writer.close();
  await reader.close();
});

test('likes and deletes in one window show in the other', async () => {
  const first = await openBoard();
  const second = await openBoard();
  const title = `shared card ${Date.now()}`;
  await addCard(first, title);
  await card(second, title).waitFor();

  await card(second, title).locator('button[data-action="like"]').click();
  await card(first, title).locator('.likes', { hasText: '1' }).waitFor();
  const update = await first.locator('#log li[data-kind="event"][data-action="update"]').first().textContent();
  assert.match(update, /documents\.[^.]+\.update/);

  await card(first, title).locator('button[data-action="remove"]').click();
  await card(second, title).waitFor({ state: 'detached' });
  assert.equal(await second.locator('#log li[data-kind="event"][data-action="delete"]').count(), 1);
  await first.close();
  await second.close();
});

test('the query view receives published cards only, and another collection is its own board', async () => {
  const viewer = await openBoard();
  const writer = await openBoard();
  await viewer.selectOption('#channel', 'published');
  await viewer.locator('#subscription-code', { hasText: 'equal' }).waitFor();
  assert.equal(await card(viewer, 'A draft post').count(), 0);

  const stamp = Date.now();
  await addCard(writer, `draft ${stamp}`, { draft: true });
  await card(writer, `draft ${stamp}`).waitFor();
  await addCard(writer, `published ${stamp}`);
  // Events arrive in order, so once the later card is shown the draft's event would have come first.
  await card(viewer, `published ${stamp}`).waitFor();
  assert.equal(await card(viewer, `draft ${stamp}`).count(), 0);

  await viewer.selectOption('#channel', 'ideas');
  await viewer.locator('#board-collection', { hasText: 'ideas' }).waitFor();
  assert.equal(await card(viewer, `published ${stamp}`).count(), 0);
  await writer.selectOption('#channel', 'ideas');
  await writer.locator('#board-collection', { hasText: 'ideas' }).waitFor();
  await addCard(writer, `idea ${stamp}`);
  await card(viewer, `idea ${stamp}`).waitFor();
  await viewer.close();
  await writer.close();
});

test('a card edited out of the published filter leaves the query view, and one edited in joins it', async () => {
  const page = await openBoard();
  await page.selectOption('#channel', 'published');
  await page.locator('#subscription-code', { hasText: 'equal' }).waitFor();
  const title = `unpublished later ${Date.now()}`;
  await addCard(page, title);
  await card(page, title).waitFor();
  const id = await card(page, title).getAttribute('data-id');

  // The server sends no event to a subscription whose filter the document no longer matches.
  await rest('PATCH', `${posts}/${id}`, { data: { status: 'draft' } });
  await card(page, title).waitFor({ state: 'detached' });
  const shown = await boardEqualsRest(page, [...PUBLISHED, ...ORDER]);
  assert.ok(!shown.includes(id));

  await rest('PATCH', `${posts}/${id}`, { data: { status: 'published' } });
  await card(page, title).waitFor();
  assert.equal((await boardEqualsRest(page, [...PUBLISHED, ...ORDER]))[0], id, 'the newest card comes first');
  await page.close();
});

test('unsubscribing closes the socket and subscribing again reconnects', async () => {
  const page = await openBoard();
  await page.click('#subscription-toggle[data-subscribed="true"]');
  await page.locator('#state[data-state="closed"]').waitFor();
  assert.equal(await page.locator('#subscription-toggle').textContent(), 'Subscribe');
  await page.click('#subscription-toggle[data-subscribed="false"]');
  await page.locator('#state[data-state="connected"]').waitFor();
  // The socket opens before the new live view's first list is in.
  await page.locator('#subscription-toggle[data-subscribed="true"]').waitFor();
  assert.equal(await page.locator('#subscription-toggle').textContent(), 'Unsubscribe');
  await boardEqualsRest(page, ORDER);
  await page.close();
});

test('a simulated network drop shows reconnecting, then connected, and events flow again', async () => {
  const page = await openBoard();
  // The reconnect can be quick (full-jitter backoff may pick ~0 ms), so record every badge state.
  await page.evaluate(() => {
    window.badgeStates = [];
    new MutationObserver(() => window.badgeStates.push(document.getElementById('state').dataset.state))
      .observe(document.getElementById('state'), { attributes: true, attributeFilter: ['data-state'] });
  });
  await page.click('#drop');
  // Back on the socket, the board's live view lists what the drop may have hidden: `catching up`
  // until that list is in (nothing was missed here, and the log says so).
  await page.locator('#log li', { hasText: 'caught up: nothing was missed' }).waitFor({ timeout: 10_000 });
  await page.waitForFunction(() => window.badgeStates.includes('reconnecting')
    && window.badgeStates.at(-1) === 'connected', null, { timeout: 10_000 });
  const states = await page.evaluate(() => window.badgeStates);
  // Reconnecting, then connecting while the new socket opens (observer records may coalesce it).
  const after = states.slice(states.indexOf('reconnecting'));
  assert.ok(after.every((state) => RECONNECT_STATES.includes(state)), after.join(' '));
  assert.ok(after.includes('catching-up'), after.join(' '));
  assert.equal(after.at(-1), 'connected');
  await page.locator('#log li[data-kind="warning"]', { hasText: 'without a close frame' }).waitFor();

  const title = `after the drop ${Date.now()}`;
  await addCard(page, title);
  await page.locator('#log li[data-kind="event"]', { hasText: '.create' }).first().waitFor();
  await card(page, title).waitFor();
  await page.close();
});

test('after a drop, writes made while the socket was down reach the board, which equals the REST list', async () => {
  const page = await openBoard();
  const stamp = Date.now();
  const kept = await createPost({ title: `kept ${stamp}`, status: 'published', likes: 0 });
  const gone = await createPost({ title: `gone ${stamp}`, status: 'published', likes: 0 });
  await card(page, `gone ${stamp}`).waitFor();
  await page.evaluate(() => {
    window.badgeStates = [];
    new MutationObserver(() => window.badgeStates.push(document.getElementById('state').dataset.state))
      .observe(document.getElementById('state'), { attributes: true, attributeFilter: ['data-state'] });
  });

  // The emulator refuses new sockets for a while, so that the writes below reach no socket of the page.
  await control('refuse', { ms: 2_000 });
  await control('drop');
  await page.waitForFunction(() => window.badgeStates.includes('reconnecting'), null, { timeout: 5_000 });
  await rest('DELETE', `${posts}/${gone.$id}`);
  await rest('PATCH', `${posts}/${kept.$id}`, { data: { title: `kept and edited ${stamp}`, likes: 3 } });
  await createPost({ title: `made offline ${stamp}`, status: 'draft', likes: 0 });
  assert.equal(await card(page, `made offline ${stamp}`).count(), 0, 'the page saw a write while its socket was down');

  await page.locator('#state[data-state="connected"]').waitFor({ timeout: 15_000 });
  await boardEqualsRest(page, ORDER);
  await card(page, `kept and edited ${stamp}`).locator('.likes', { hasText: '3' }).waitFor();
  assert.equal(await card(page, `gone ${stamp}`).count(), 0);
  // The view listed once the subscriptions were back: its changes came while it was catching up,
  // and the badge said so, then went back to connected.
  await page.locator('#log li', { hasText: /caught up: \d+ change\(s\) the events did not bring/ }).first().waitFor();
  await page.waitForFunction(() => window.badgeStates.at(-1) === 'connected', null, { timeout: 5_000 });
  const states = await page.evaluate(() => window.badgeStates);
  const after = states.slice(states.indexOf('reconnecting'));
  assert.ok(after.includes('catching-up'), after.join(' '));
  assert.ok(after.every((state) => RECONNECT_STATES.includes(state)), after.join(' '));
  assert.equal(await page.locator('#state').textContent(), 'connected');
  await page.close();
});

test('the board fits a 390×844 phone screen without sideways scrolling', async () => {
  const page = await openBoard({ width: 390, height: 844 });
  await card(page, 'Welcome to the emulator').waitFor();
  // Against clientWidth, which leaves out a classic scrollbar (Firefox draws one; Chromium's
  // headless overlay scrollbar takes no width), rather than innerWidth, which includes it.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0);
  const box = await page.locator('#drop').boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 390, `the drop button lies at x=${box.x}..${box.x + box.width}`);
  await page.close();
});

test('takes the README screenshot of a board with live events', async () => {
  // Back to the seeded cards, so that the picture shows no leftovers of the tests above.
  const reset = await fetch(`${suite.emulator.url}/_emulator/reset`, {
    method: 'POST', headers: { 'X-Emulator-Control': '1' },
  });
  assert.equal(reset.status, 200);
  const page = await openBoard({ width: 1200, height: 760 });
  const other = await openBoard();
  await addCard(other, 'Cards sync across windows');
  await card(page, 'Cards sync across windows').locator('button[data-action="like"]').click();
  await addCard(page, 'Try the network drop button');
  await page.locator('#log li[data-kind="event"]').nth(2).waitFor();
  await card(page, 'Cards sync across windows').locator('.likes', { hasText: '1' }).waitFor();

  // The committed picture changes only on request, so a test run leaves the tree clean; it is
  // Chromium's, and the other engines' pictures stay in target/ under their own names.
  const folder = join(root, process.env.UPDATE_SCREENSHOT && browserName === 'chromium' ? 'docs' : 'target');
  const path = join(folder, browserName === 'chromium' ? 'demo.png' : `demo-${browserName}.png`);
  await mkdir(folder, { recursive: true });
  await page.screenshot({ path, animations: 'disabled' });
  const png = await readFile(path);
  assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from('PNG')]);
  await other.close();
  await page.close();
});
