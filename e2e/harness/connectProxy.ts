import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createProxy } from 'proxy';

/** A real HTTP proxy (the `proxy` package: CONNECT and plain requests) run by the test. */
export interface ConnectProxy {
  /** `http://user:password@host:port`, for HTTPS_PROXY. */
  url: string;
  /** The target (`host:port`) of every CONNECT it was asked for, in order. */
  readonly connects: string[];
  close(): Promise<void>;
}

/**
 * Start the proxy on `host` (e.g. the lab bridge's root address, which every lab host reaches),
 * asking for Basic credentials `user:password`; a request without them gets 407.
 */
export async function startConnectProxy(
  host: string,
  { user, password }: { user: string; password: string },
): Promise<ConnectProxy> {
  const server = createProxy(http.createServer());
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  server.authenticate = (req) => req.headers['proxy-authorization'] === expected;
  const connects: string[] = [];
  server.prependListener('connect', (req: http.IncomingMessage) => connects.push(req.url ?? ''));
  // CONNECT tunnels leave the HTTP server's hands but still hold its listener open: track them.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}`,
    connects,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
