import { createHash } from 'node:crypto';
import {
  STATUS_CODES,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import http2, { type ClientHttp2Stream, type OutgoingHttpHeaders } from 'node:http2';
import { pipeline, type Duplex } from 'node:stream';
import { STREAM_BODY_BUFFER } from '@cloud-connect/agent-core/api';
import type { EdgeTimeouts } from '../config/config.js';
import {
  isHopByHop,
  upstreamRequestHeaders,
  withoutHopByHop,
  type ForwardingContext,
  type RequestTarget,
} from '../edge/proxyHeaders.js';

/**
 * The edge's question to the stream transport: can this instance take a request over a stream
 * session now, and if so one stream for it. `StreamSessions` answers it.
 */
export interface StreamPaths {
  has(instanceId: string): boolean;
  /** `endStream`: the request has no body (HEADERS carry END_STREAM); Node's default otherwise. */
  open(
    instanceId: string,
    headers: OutgoingHttpHeaders | readonly string[],
    options?: { endStream?: boolean },
  ): ClientHttp2Stream | null;
}

/** Why a stream carried no answer: the edge shows its offline (502) or timeout (504) page. */
export type StreamFailure = 'offline' | 'timeout';

/** HTTP/1.1 connection headers HTTP/2 forbids (RFC 9113 §8.2.2), and Host (`:authority`). */
const NOT_IN_HTTP2 = new Set([
  'host',
  'connection',
  'upgrade',
  'transfer-encoding',
  'keep-alive',
  'te',
]);

/** RFC 8441's pseudo-headers for a WebSocket carried as extended CONNECT. */
export const WEBSOCKET_CONNECT = { ':method': 'CONNECT', ':protocol': 'websocket' } as const;

/**
 * The HTTP/2 request headers of an edge request: the headers the edge sends any upstream
 * (X-Forwarded-*, hop-by-hop dropped), with the public host as `:authority` (never a dial
 * target: the agent dials only its own target) and none of the HTTP/1.1 connection headers
 * HTTP/2 forbids. A flat `[name, value, …]` list: Node's http2 takes it as it is, where a
 * headers object is copied and walked again per request. `pseudo` overrides the request's
 * own (WEBSOCKET_CONNECT).
 */
export function streamRequestHeaders(
  req: IncomingMessage,
  ctx: ForwardingContext,
  target: RequestTarget,
  pseudo: Record<string, string> = {},
): string[] {
  const own: Record<string, string> = {
    ':method': req.method ?? 'GET',
    ':path': target.path,
    ':scheme': ctx.proto,
    ':authority': target.host ?? '',
    ...pseudo,
  };
  const raw: string[] = [];
  for (const name in own) raw.push(name, own[name] as string);
  const headers = upstreamRequestHeaders(req, ctx, target);
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || NOT_IN_HTTP2.has(name)) continue;
    if (Array.isArray(value)) for (const v of value) raw.push(name, v);
    else raw.push(name, String(value));
  }
  return raw;
}

/**
 * Carry one edge request over a stream: the request body piped into the stream and the answer
 * piped back, each with backpressure (HTTP/2 flow control on the session, `pipe` on the
 * client's side), so a slow reader at either end holds only the windows. A client that leaves
 * cancels the stream (the agent stops its upstream); a stream that fails before answering is
 * `onFailure`'s to answer. False (nothing done) without a stream: the instance has no session.
 */
export function forwardOverStream(
  stream: ClientHttp2Stream | null | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  {
    timeouts,
    target,
  }: {
    timeouts: EdgeTimeouts;
    /** Its framing as the edge decided it: none means the stream ends at once. */
    target: Pick<RequestTarget, 'framing'>;
  },
  onFailure: (failure: StreamFailure, code?: string) => void,
): boolean {
  if (!stream) return false;
  let responded = false;
  let failed = false;
  const fail = (failure: StreamFailure, code?: string) => {
    if (failed) return;
    failed = true;
    if (responded) return void res.destroy();
    req.unpipe(stream);
    onFailure(failure, code);
  };
  // Idle on the stream (nothing either way) counts like an idle upstream socket.
  stream.setTimeout(timeouts.idleMs, () => {
    stream.close(http2.constants.NGHTTP2_CANCEL);
    fail('timeout');
  });
  // As on the WireGuard path, the app has until responseMs after the whole request went out
  // to start answering (a long upload is fine; an app that never answers gets the 504 page).
  let responseTimer: NodeJS.Timeout | null = null;
  stream.once('finish', () => {
    if (responded || failed) return;
    responseTimer = setTimeout(() => {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      fail('timeout');
    }, timeouts.responseMs);
  });
  stream.on('response', (headers) => {
    responded = true;
    if (responseTimer) clearTimeout(responseTimer);
    if (res.destroyed) return void stream.close(http2.constants.NGHTTP2_CANCEL);
    const status = Number(headers[':status'] ?? 502);
    const out: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) {
      if (!name.startsWith(':')) out[name] = value as string | string[];
    }
    res.writeHead(status, withoutHopByHop(out));
    // The body by hand, not pipeline (its per-call AbortController, aborted with a DOMException
    // at every finish, was a tenth of the relay's CPU per small request) nor pipe (a dozen
    // listeners set and removed per answer): the visitor's backpressure (past
    // STREAM_BODY_BUFFER) pauses the stream, HTTP/2 flow control then holds the agent. The answer is ended below.
    stream.on('data', (chunk: Buffer) => {
      if (!res.write(chunk) && res.writableLength >= STREAM_BODY_BUFFER) stream.pause();
    });
    res.on('drain', () => stream.resume());
  });
  stream.on('error', (err: NodeJS.ErrnoException) => fail('offline', err.code));
  // Whether the answer's end came while its session was alive: a session that dies (its
  // socket reset, the relay dropping it) ends its streams as readables too, with no error code.
  const session = stream.session;
  let endedLive = false;
  stream.once('end', () => (endedLive = !session?.destroyed));
  stream.on('close', () => {
    if (responseTimer) clearTimeout(responseTimer);
    if (!responded) return fail('offline', 'closed');
    // A stream reset in the middle of its body still ends as a readable (HTTP/2 pushes the
    // end); only its code, and a live session, tell an answer that came whole. A cut one must
    // not look complete to the visitor (nor leave it waiting for the rest of a Content-Length).
    if (stream.rstCode === http2.constants.NGHTTP2_NO_ERROR && endedLive) res.end();
    else res.destroy();
  });
  res.on('close', () => {
    if (!res.writableFinished && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
  });
  if (target.framing.kind === 'none') stream.end();
  else
    pipeline(req, stream, (err) => {
      if (err && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
    });
  return true;
}

/** RFC 6455 §4.2.2: the accept value for a client's Sec-WebSocket-Key. */
function websocketAccept(key: string): string {
  return createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

/**
 * Carry a WebSocket upgrade over a stream as RFC 8441 extended CONNECT: the agent does the
 * HTTP/1.1 handshake with its app, the edge answers the client's own handshake (101 with the
 * accept value of the client's key) once the agent says 200, then bytes flow both ways with
 * flow control. `open` opens the stream with WEBSOCKET_CONNECT's pseudo-headers. False (nothing done) when it is not a WebSocket upgrade or there is no stream.
 */
export function forwardWebSocketOverStream(
  open: () => ClientHttp2Stream | null | undefined,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  onFailure: (failure: StreamFailure, code?: string) => void,
): boolean {
  const key = req.headers['sec-websocket-key'];
  if (req.headers.upgrade?.toLowerCase() !== 'websocket' || typeof key !== 'string') return false;
  let stream: ClientHttp2Stream | null | undefined;
  try {
    stream = open();
  } catch {
    // The agent's session does not allow extended CONNECT (RFC 8441 §3): no WebSocket here.
    stream = null;
  }
  if (!stream) return false;
  const tunnel = stream;
  let answered = false;
  tunnel.on('response', (h) => {
    answered = true;
    const status = Number(h[':status'] ?? 502);
    const lines =
      status === 200
        ? ['HTTP/1.1 101 Switching Protocols', 'connection: Upgrade', 'upgrade: websocket']
        : [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, 'connection: close'];
    if (status === 200) lines.push(`sec-websocket-accept: ${websocketAccept(key)}`);
    for (const [name, value] of Object.entries(h)) {
      if (name.startsWith(':') || isHopByHop(name) || name === 'content-length') continue;
      for (const v of [value ?? ''].flat()) lines.push(`${name}: ${String(v)}`);
    }
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (status === 200 && head.length > 0) tunnel.write(head);
    pipeline(tunnel, socket, () => undefined);
    if (status === 200) pipeline(socket, tunnel, () => undefined);
  });
  let failed = false;
  const fail = (code?: string) => {
    if (answered) return void socket.destroy();
    if (failed) return;
    failed = true;
    onFailure('offline', code);
  };
  tunnel.on('error', (err: NodeJS.ErrnoException) => fail(err.code));
  tunnel.on('close', () => fail('closed'));
  socket.once('close', () => {
    if (!tunnel.closed) tunnel.close(http2.constants.NGHTTP2_CANCEL);
  });
  return true;
}
