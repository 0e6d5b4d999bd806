/**
 * The "Docker app" of namespace tests and benches: a small HTTP server.
 *   GET /hello        → `hello from <APP_NAME>`
 *   GET /bytes/<n>    → n bytes (downloads)
 *   POST /count       → how many bytes the body had (uploads)
 *   Upgrade: websocket → 101, then every chunk is echoed back prefixed with `echo:`
 * Env: APP_HOST (127.0.0.1), APP_PORT (8080), APP_NAME. Prints `listening <port>` when ready.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const name = process.env.APP_NAME ?? 'app';
const chunk = Buffer.alloc(64 * 1024, 97);

const server = createServer((req, res) => {
  const bytes = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
  if (bytes) {
    let left = Number(bytes[1]);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': left });
    const pump = () => {
      while (left > 0) {
        const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= part.length;
        if (!res.write(part)) return void res.once('drain', pump);
      }
      res.end();
    };
    return pump();
  }
  if (req.method === 'POST' && req.url === '/count') {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => res.end(String(n)));
    return;
  }
  if (req.url === '/hello') return void res.end(`hello from ${name}`);
  res.writeHead(404).end('not found');
});
server.on('upgrade', (_req, socket) => {
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
  );
  socket.on('data', (d: Buffer) => socket.write(Buffer.concat([Buffer.from('echo:'), d])));
  socket.on('end', () => socket.destroy());
  socket.on('error', () => socket.destroy());
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.APP_PORT ?? 8080), process.env.APP_HOST ?? '127.0.0.1', () => {
  console.log(`listening ${(server.address() as AddressInfo).port}`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
