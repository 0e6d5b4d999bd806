import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import http2, { type ClientHttp2Stream, type OutgoingHttpHeaders } from 'node:http2';
import { pipeline } from 'node:stream';
import type { EdgeTimeouts } from '../config/config.js';
import {
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
  open(instanceId: string, headers: OutgoingHttpHeaders): ClientHttp2Stream | null;
}

/** Why a stream carried no answer: the edge shows its offline (502) or timeout (504) page. */
export type StreamFailure = 'offline' | 'timeout';

/**
 * The HTTP/2 request headers of an edge request: the headers the edge sends any upstream
 * (X-Forwarded-*, hop-by-hop dropped), with the public host as `:authority` (never a dial
 * target: the agent dials only its own target) and none of the HTTP/1.1 connection headers
 * HTTP/2 forbids (RFC 9113 §8.2.2).
 */
export function streamRequestHeaders(
  req: IncomingMessage,
  ctx: ForwardingContext,
  target: RequestTarget,
): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    ...upstreamRequestHeaders(req, ctx, target),
    ':method': req.method ?? 'GET',
    ':path': target.path,
    ':scheme': ctx.proto,
    ':authority': target.host ?? '',
  };
  for (const name of ['host', 'connection', 'upgrade', 'transfer-encoding', 'keep-alive', 'te']) {
    delete headers[name];
  }
  return headers;
}

/**
 * Carry one edge request over a stream: the request body piped into the stream and the answer
 * piped back, each with backpressure (HTTP/2 flow control on the session, `pipeline` on the
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
  stream.on('response', (headers) => {
    responded = true;
    if (res.destroyed) return void stream.close(http2.constants.NGHTTP2_CANCEL);
    const status = Number(headers[':status'] ?? 502);
    const out: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) {
      if (!name.startsWith(':')) out[name] = value as string | string[];
    }
    res.writeHead(status, withoutHopByHop(out));
    pipeline(stream, res, (err) => {
      if (err && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
    });
  });
  stream.on('error', (err: NodeJS.ErrnoException) => fail('offline', err.code));
  stream.on('close', () => {
    if (!responded) fail('offline', 'closed');
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
