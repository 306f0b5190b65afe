// A static file server on 127.0.0.1 and a free port, for the benchmark pages (over the
// repository, so they load /pkg/ and /bench/ from one origin as a real app would) and the built
// apps of e2e/bundlers.test.mjs: index.html for folders, and a close() that does not wait for the
// browser's keep-alive connections to time out.
import { createServer } from 'node:http';
import { once } from 'node:events';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const contentTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  // instantiateStreaming requires this type.
  '.wasm': 'application/wasm',
};

/** Serves `root`; resolves with its base URL and a `close()`. */
export async function startStaticServer(root) {
  const server = createServer(async (request, response) => {
    let path = normalize(join(root, decodeURIComponent(new URL(request.url, 'http://x').pathname)));
    if (path !== root && !path.startsWith(root + sep)) {
      response.writeHead(403).end();
      return;
    }
    try {
      if ((await stat(path)).isDirectory()) path = join(path, 'index.html');
      const body = await readFile(path);
      response.writeHead(200, { 'content-type': contentTypes[extname(path)] ?? 'application/octet-stream' });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    }),
  };
}
