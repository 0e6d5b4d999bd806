import type { IncomingMessage } from 'node:http';
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  STREAM_PATH,
  STREAM_PROTOCOL,
  STREAM_SESSION_SETTINGS,
  STREAM_SESSION_WINDOW,
} from '@cloud-connect/agent-core/api';
import { toAppError } from '../errors/appError.js';
import { errorResponse } from '../http/protocolErrors.js';
import type { Logger } from '../logging/logger.js';
import type { InstanceRecord } from '../store/types.js';
import type { StreamSessions } from './streamSessions.js';

/**
 * Whether a request is a stream-session upgrade (`shouldUpgradeCallback` of the API server):
 * only these leave the Koa app, every other request (upgrade headers or not) is served as
 * before. The protocol token is compared case-insensitively, as RFC 9110 §7.8 has it.
 */
export function isStreamUpgrade(req: IncomingMessage): boolean {
  const path = (req.url ?? '').split('?')[0];
  if (req.method !== 'GET' || path !== STREAM_PATH) return false;
  const offered = (req.headers.upgrade ?? '').split(',').map((t) => t.trim().toLowerCase());
  return offered.includes(STREAM_PROTOCOL.toLowerCase());
}

/** What the upgrade handler needs: the tunnel routes' token check and the registry. */
export interface StreamUpgradeDeps {
  checkToken: (authorization: string | undefined) => Promise<InstanceRecord>;
  /** The tunnel calls' per-instance rate limit: a reconnect loop gets 429 with Retry-After. */
  admit: (instance: InstanceRecord) => Promise<void>;
  sessions: StreamSessions;
  logger: Logger;
}

/**
 * The API server's `upgrade` handler for `GET STREAM_PATH`: the instance token is checked as
 * every tunnel call checks it (a refused one gets the API's JSON error and the socket closes,
 * nothing registered); then `101 Switching Protocols`, and the relay becomes the HTTP/2 client
 * of the agent over the same socket, with the contract's session settings.
 */
export function streamUpgradeHandler(deps: StreamUpgradeDeps) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const admitted = async () => {
      const instance = await deps.checkToken(req.headers.authorization);
      await deps.admit(instance);
      return instance;
    };
    admitted().then(
      (instance) => accept(deps, instance, socket as Socket, head),
      (e: unknown) => {
        const err = toAppError(e);
        if (err.code === 'INTERNAL') deps.logger.error({ err: e }, 'stream upgrade failed');
        if (socket.destroyed) return;
        const answer = errorResponse(err.code, err.message, err.details, err.headers);
        socket.end(answer, () => socket.destroy());
      },
    );
  };
}

function accept(deps: StreamUpgradeDeps, instance: InstanceRecord, socket: Socket, head: Buffer) {
  if (socket.destroyed) return;
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${STREAM_PROTOCOL}\r\n\r\n`,
  );
  // Whatever the agent sent after its request is already HTTP/2 (its SETTINGS).
  if (head.length > 0) socket.unshift(head);
  // The API server's idle timeout is for requests; liveness here is the session's pings.
  socket.setTimeout(0);
  socket.setNoDelay(true);
  const session = http2.connect(`http://${instance.id}.stream.invalid`, {
    createConnection: () => socket,
    settings: STREAM_SESSION_SETTINGS,
    maxHeaderListPairs: 256,
    peerMaxConcurrentStreams: STREAM_SESSION_SETTINGS.maxConcurrentStreams,
  });
  // The API server keeps sockets half-open after the peer's FIN; a session has no use for that,
  // and without this an agent that went away would linger until its pings failed.
  socket.once('end', () => session.destroy());
  session.setLocalWindowSize(STREAM_SESSION_WINDOW);
  deps.sessions.add(instance.id, instance.tokenId, session);
}
