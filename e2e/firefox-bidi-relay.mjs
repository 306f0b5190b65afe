#!/usr/bin/env node
// Starts Debian's Firefox ESR for playwright-core's WebDriver-BiDi Firefox launcher, with a relay
// in front of Firefox's Remote Agent. playwright-core 1.65 sends, while it sets up every browser
// context, BiDi commands that Firefox ESR does not implement yet; the relay answers exactly those
// with an empty success (they only set emulations these tests do not use) and passes everything
// else through unchanged. Playwright runs this file as the browser's executable: the arguments
// are Firefox's, and the "WebDriver BiDi listening on" line it waits for names the relay.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ws as WebSocket, wsServer as WebSocketServer } from 'playwright-core/lib/utilsBundle';

// Commands Firefox ESR answers with "unknown command", and why ignoring them is harmless here.
const UNSUPPORTED = new Set([
  'emulation.setMediaFeaturesOverride', // prefers-color-scheme; no test emulates a color scheme
]);

const firefox = spawn(process.env.FIREFOX_BIN || '/usr/bin/firefox-esr', process.argv.slice(2), {
  stdio: ['ignore', 'inherit', 'pipe'],
});
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => firefox.kill(signal));
firefox.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

createInterface({ input: firefox.stderr }).on('line', (line) => {
  const listening = line.match(/^WebDriver BiDi listening on (ws:\/\/\S+)$/);
  if (!listening) {
    process.stderr.write(`${line}\n`);
    return;
  }
  const upstream = listening[1];
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('listening', () => {
    process.stderr.write(`WebDriver BiDi listening on ws://127.0.0.1:${server.address().port}\n`);
  });
  server.on('connection', (client, request) => relay(client, `${upstream}${request.url}`));
});

function relay(client, url) {
  const agent = new WebSocket(url, { perMessageDeflate: false });
  const pending = [];
  const toAgent = (data) => (agent.readyState === WebSocket.OPEN ? agent.send(data) : pending.push(data));
  agent.on('open', () => { for (const data of pending.splice(0)) agent.send(data); });
  agent.on('message', (data) => client.send(data.toString()));
  client.on('message', (data) => {
    const text = data.toString();
    const { id, method } = JSON.parse(text);
    if (UNSUPPORTED.has(method)) client.send(JSON.stringify({ type: 'success', id, result: {} }));
    else toAgent(text);
  });
  agent.on('close', () => client.close());
  client.on('close', () => agent.close());
  agent.on('error', () => client.close());
  client.on('error', () => agent.close());
}
