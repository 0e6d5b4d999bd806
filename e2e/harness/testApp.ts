/**
 * The "Docker app" of namespace tests and benches: a small HTTP server.
 *   GET /hello        → `hello from <APP_NAME>`
 *   GET /bytes/<n>    → n bytes (downloads)
 *   POST /count       → how many bytes the body had (uploads)
 *   POST /sha256      → the body's SHA-256, hex (uploads arrived intact)
 *   GET /inflight     → JSON {bytes, written}: /bytes answers still open, bytes the latest wrote
 *   GET /hosts        → JSON {<Host header>: requests}: which public hosts reached this app
 *   Upgrade: websocket → 101, then every chunk is echoed back prefixed with `echo:`
 * Env: APP_HOST (127.0.0.1), APP_PORT (8080), APP_NAME. Prints `listening <port>` when ready.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const name = process.env.APP_NAME ?? 'app';
const chunk = Buffer.alloc(64 * 1024, 97);

const inflight = { bytes: 0, written: 0 };
const hosts: Record<string, number> = {};

const server = createServer((req, res) => {
  const host = req.headers.host ?? '';
  hosts[host] = (hosts[host] ?? 0) + 1;
  const bytes = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
  if (bytes) {
    let left = Number(bytes[1]);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': left });
    inflight.bytes++;
    inflight.written = 0;
    res.once('close', () => inflight.bytes--);
    const pump = () => {
      while (left > 0) {
        const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= part.length;
        inflight.written += part.length;
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
  if (req.method === 'POST' && req.url === '/sha256') {
    const hash = createHash('sha256');
    req.on('data', (c: Buffer) => hash.update(c));
    req.on('end', () => res.end(hash.digest('hex')));
    return;
  }
  if (req.url === '/inflight') return void res.end(JSON.stringify(inflight));
  if (req.url === '/hosts') return void res.end(JSON.stringify(hosts));
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
