// The README's JS quick start, run as written in a page served by the emulator, so the README
// cannot drift from the package. Only the endpoint is pointed at this suite's emulator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useEmulatorAndBrowser, root } from './harness.mjs';

const README_ENDPOINT = 'http://127.0.0.1:8787/v1';

/** The first ```js block of the README section whose heading is `heading`. */
function codeBlockUnder(markdown, heading) {
  const start = markdown.search(new RegExp(`^#+ ${heading}\\s*$`, 'm'));
  assert.notEqual(start, -1, `README.md has no "${heading}" heading`);
  const body = markdown.slice(markdown.indexOf('\n', start) + 1);
  const nextHeading = body.search(/^#+ /m);
  const section = nextHeading === -1 ? body : body.slice(0, nextHeading);
  const block = section.match(/^```js\n([\s\S]*?)^```$/m);
  assert.ok(block, `the "${heading}" section has no \`\`\`js block`);
  return block[1];
}

const suite = useEmulatorAndBrowser();

test('the README quick start subscribes and logs an event the emulator sends', async () => {
  const code = codeBlockUnder(await readFile(join(root, 'README.md'), 'utf8'), 'Quick start');
  assert.ok(code.includes(README_ENDPOINT), `the quick start no longer uses ${README_ENDPOINT}`);
  assert.ok(!code.includes('</script'), 'the quick start cannot be inlined in a script element');

  const page = await suite.browser.newPage();
  // The same import map the README tells plain-page users to write, with the package under /pkg/.
  const html = `<!doctype html>
<script type="importmap">{ "imports": { "appwrite-realtime-wasm": "/pkg/index.js" } }</script>
<script type="module">
${code.replaceAll(README_ENDPOINT, `${suite.emulator.url}/v1`)}
window.quickStartDone = true;
</script>`;
  // Start from a document the emulator served, so that the page's origin and address space are
  // the emulator's: Chromium blocks a loopback WebSocket from a page that playwright made up.
  await page.goto(`${suite.emulator.url}/pkg/package.json`);
  await page.setContent(html);
  // The block ends once subscribe() resolved, i.e. after the server's ack.
  await page.waitForFunction(() => window.quickStartDone === true, null, { timeout: 10_000 });

  const createLogged = page.waitForEvent('console', {
    predicate: async (message) => /\.create$/.test(String(await message.args()[0]?.jsonValue())),
    timeout: 5_000,
  });
  const response = await fetch(`${suite.emulator.url}/v1/databases/main/collections/posts/documents`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Appwrite-Project': 'demo' },
    body: JSON.stringify({ documentId: 'unique()', data: { title: 'for the README' }, permissions: ['read("any")'] }),
  });
  const { $id } = await response.json();
  const [name, payload] = await Promise.all((await createLogged).args().map((arg) => arg.jsonValue()));
  assert.equal(name, `databases.main.collections.posts.documents.${$id}.create`);
  assert.equal(payload.title, 'for the README');
  await page.close();
});
