import { randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BRIDGE_PATH,
  CLOSE_BAD_MESSAGE,
  CLOSE_UNAUTHORIZED,
  type ClientMessage,
  type DesktopApi,
  type ServerMessage,
} from '@cloud-connect/agent-core/desktop';
import sirv from 'sirv';
import { WebSocketServer, type WebSocket } from 'ws';
import { dispatchCall, subscribeEvents } from '../bridge/dispatch.js';
import { allowedHosts, hostAllowed, originAllowed } from './originCheck.js';

export interface WebHostOptions {
  api: DesktopApi;
  /** The built renderer (`renderer/dist`). */
  rendererDir: string;
  /** 127.0.0.1 unless the user asks otherwise. */
  host?: string;
  port?: number;
  /** The access token; random when not given. */
  token?: string;
  /** Extra host names the page may be reached by (e.g. a LAN name when bound to 0.0.0.0). */
  extraHostNames?: string[];
  version?: string;
}

export interface RunningWebHost {
  /** The URL to open, with the access token in the fragment (never sent to the server in requests). */
  url: string;
  origin: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  // The bridge socket is on this origin; 'self' covers ws:// to it (CSP Level 3).
  "connect-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The headless host of the desktop manager: serves the built renderer and bridges the same
 * DesktopApi over a WebSocket (see bridgeProtocol.ts). Binds 127.0.0.1 by default and checks
 * Host and Origin on every request; the API needs the random access token.
 */
export async function startWebHost(options: WebHostOptions): Promise<RunningWebHost> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const statics = sirv(options.rendererDir, { dev: false, etag: true, single: true });
  let allowed = new Set<string>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (!hostAllowed(req.headers.host, allowed)) {
      res.writeHead(421, { 'content-type': 'text/plain' }).end('Misdirected request');
      return;
    }
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    statics(req, res, () => {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (
      path !== BRIDGE_PATH ||
      !hostAllowed(req.headers.host, allowed) ||
      !originAllowed(req.headers.origin, allowed)
    ) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws));
  });

  function serveSocket(ws: WebSocket): void {
    // Set once the hello's token is accepted: until then the socket gets no events and no calls.
    let unsubscribe: (() => void) | null = null;
    const send = (m: ServerMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
    };
    const helloTimer = setTimeout(() => ws.close(CLOSE_UNAUTHORIZED, 'hello expected'), 10_000);

    ws.on('message', (data) => {
      let msg: ClientMessage;
      try {
        msg = JSON.parse(String(data)) as ClientMessage;
      } catch {
        ws.close(CLOSE_BAD_MESSAGE, 'not JSON');
        return;
      }
      if (!unsubscribe) {
        if (msg.type !== 'hello' || typeof msg.token !== 'string' || !sameToken(msg.token, token)) {
          ws.close(CLOSE_UNAUTHORIZED, 'bad access token');
          return;
        }
        clearTimeout(helloTimer);
        unsubscribe = subscribeEvents(options.api, (channel, payload) =>
          send({ type: 'event', channel, payload } as ServerMessage),
        );
        send({ type: 'ready', version: options.version ?? '0.0.0' });
        return;
      }
      if (msg.type !== 'call' || typeof msg.id !== 'number') {
        ws.close(CLOSE_BAD_MESSAGE, 'call expected');
        return;
      }
      void dispatchCall(options.api, msg.method, msg.args).then((result) =>
        send({ type: 'result', id: msg.id, result }),
      );
    });
    ws.on('close', () => {
      clearTimeout(helloTimer);
      unsubscribe?.();
    });
  }

  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  allowed = allowedHosts(host === '0.0.0.0' ? '127.0.0.1' : host, port, options.extraHostNames);
  const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const origin = `http://${shownHost}:${port}`;
  return {
    url: `${origin}/#token=${token}`,
    origin,
    port,
    server,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
