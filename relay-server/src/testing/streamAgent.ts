import http from 'node:http';
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import { duplexPair } from 'node:stream';
import {
  STREAM_PATH,
  STREAM_PROTOCOL,
  STREAM_SESSION_SETTINGS,
} from '@cloud-connect/agent-core/api';

/** A refused upgrade: the relay's status and body. */
export interface RefusedUpgrade {
  ok: false;
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * The agent's end of one stream session, as small as the contract allows (the real agent is
 * agent-core's stream driver): the HTTP/2 server on the upgraded socket, answering each stream
 * with `handler`.
 */
export interface TestStreamAgent {
  ok: true;
  socket: Socket;
  session: Promise<http2.ServerHttp2Session>;
  /** Resolves when the relay's side closes the session (or the socket goes). */
  closed: Promise<void>;
  close(): void;
  /** Stop reading from the relay: the agent answers nothing more, pings included. */
  freeze(): void;
}

/**
 * Open a stream session to the relay at `relayUrl` with `token` (undefined: no Authorization),
 * answering every stream with `handler`.
 */
export function connectStreamAgent(
  relayUrl: string,
  token: string | undefined,
  handler: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
): Promise<TestStreamAgent | RefusedUpgrade> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${relayUrl}${STREAM_PATH}`, {
      headers: {
        Connection: 'Upgrade',
        Upgrade: STREAM_PROTOCOL,
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () =>
        resolve({ ok: false, status: res.statusCode ?? 0, headers: res.headers, body }),
      );
    });
    req.on('upgrade', (_res, socket: Socket, head: Buffer) => {
      if (head.length > 0) socket.unshift(head);
      const server = http2.createServer({ settings: STREAM_SESSION_SETTINGS }, handler);
      // Node's compat server hands CONNECT (RFC 8441 WebSockets too) to 'connect' listeners only.
      server.on('connect', handler);
      const session = new Promise<http2.ServerHttp2Session>((r) => server.once('session', r));
      const closed = new Promise<void>((r) => socket.once('close', () => r()));
      socket.on('error', () => socket.destroy());
      // Through a pipe the test can stop (Node's http2 reads a net socket's handle directly,
      // past any pause()), so a frozen agent really hears nothing.
      const [near, far] = duplexPair();
      socket.pipe(near);
      near.pipe(socket);
      socket.once('close', () => near.destroy());
      server.emit('connection', far);
      resolve({
        ok: true,
        socket,
        session,
        closed,
        close: () => socket.destroy(),
        freeze: () => {
          socket.unpipe(near);
          socket.pause();
        },
      });
    });
    req.end();
  });
}
