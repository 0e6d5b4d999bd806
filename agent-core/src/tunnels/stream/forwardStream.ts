import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import {
  constants as h2,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Socket } from 'node:net';
import { STREAM_BODY_BUFFER } from '../../api/streamTransport.js';
import { targetDialError } from '../wireguard/tcpForwarder.js';

/** The local app every stream goes to, fixed when the driver is made. */
export interface StreamTarget {
  protocol: 'http:' | 'https:';
  host: string;
  port: number;
}

/**
 * Headers that describe one hop (RFC 9110 §7.6.1, RFC 9113 §8.2.2) and so never cross from
 * one connection to the next; HTTP/2 forbids them outright.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'http2-settings',
  'host',
]);

/**
 * Request headers for the app as a flat `[name, value, …]` list (Node writes such a list as it
 * is, without building and re-validating a headers object per request): no pseudo-header, no
 * hop-by-hop header, Host = the public host (or the target's, as Node would set it).
 */
function requestHeaders(headers: IncomingHttpHeaders, target: StreamTarget): string[] {
  const out: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (name.startsWith(':') || HOP_BY_HOP.has(name) || value === undefined) continue;
    // A WebSocket's handshake with the app is the agent's own, with its own key (below): a
    // client's key that came along (Caddy forwards it) would make two, and the app refuse.
    if (name === 'sec-websocket-key') continue;
    if (typeof value === 'string') out.push(name, value);
    else for (const v of value) out.push(name, v);
  }
  // The public host the visitor asked for; it names the site, never where the agent dials.
  const authority = headers[':authority'] ?? headers.host;
  out.push('host', authority || `${target.host}:${target.port}`);
  return out;
}

/**
 * Response headers for the HTTP/2 stream as a flat list, from the app's raw headers (so Node
 * never builds its headers object): the app's, less those HTTP/2 forbids.
 */
function responseHeaders(status: number, raw: string[], drop: Set<string>): string[] {
  const out = [h2.HTTP2_HEADER_STATUS, String(status)];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (!drop.has(name)) out.push(name, raw[i + 1] as string);
  }
  return out;
}

/**
 * Send the app's answer head on the stream. From its raw headers first; an app that repeats a
 * field HTTP/2 allows once (two Content-Types) makes Node refuse that list, so the answer then
 * goes as Node's parsed headers object, which keeps the first of such a field.
 */
function respondWith(
  stream: ServerHttp2Stream,
  response: http.IncomingMessage,
  status = response.statusCode ?? 502,
  drop = HOP_BY_HOP,
): void {
  try {
    stream.respond(responseHeaders(status, response.rawHeaders, drop));
  } catch {
    const out: OutgoingHttpHeaders = { [h2.HTTP2_HEADER_STATUS]: status };
    for (const [name, value] of Object.entries(response.headers)) {
      if (!drop.has(name) && value !== undefined) out[name] = value;
    }
    stream.respond(out);
  }
}

/** An upgrade's answer: its handshake headers stay on the HTTP/1.1 hop (RFC 8441 §5). */
const HANDSHAKE = new Set([...HOP_BY_HOP, 'sec-websocket-accept']);

/** A short plain-text answer on a stream that has not answered yet (502, 400…). */
function answer(stream: ServerHttp2Stream, status: number, text: string): void {
  if (stream.destroyed || stream.closed) return;
  if (stream.headersSent) {
    // Half an answer is already on its way: the only honest end is to reset the stream.
    stream.close(h2.NGHTTP2_INTERNAL_ERROR);
    return;
  }
  stream.respond({
    [h2.HTTP2_HEADER_STATUS]: status,
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
  });
  stream.end(`${text}\n`);
}

/** Why the app could not be used, for the 502 body and the driver's log. */
export type TargetFailure = (message: string) => void;

/**
 * Answer one HTTP/2 stream opened by the relay with an HTTP/1.1 request to `target`, and only
 * there: the request's `:authority`, `:path` and headers never choose where the agent dials.
 * Bodies are piped both ways, so each side's flow control reaches the other (a slow reader
 * stops the writer instead of filling memory).
 */
export function forwardStream(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  target: StreamTarget,
  agent: http.Agent,
  onTargetFailure: TargetFailure,
): void {
  // A reset from the relay (the visitor left) must not become an uncaught error; the 'close'
  // that follows it ends the app's side below.
  stream.on('error', () => {});
  const method = headers[':method'] ?? 'GET';
  const websocket = method === 'CONNECT' && headers[':protocol'] === 'websocket';
  const path = headers[':path'] ?? '';
  // Origin-form only: an absolute URL or authority-form here is not a request for the app.
  if (!path.startsWith('/') || (method === 'CONNECT' && !websocket)) {
    answer(stream, 400, 'Bad request: only origin-form requests are forwarded');
    return;
  }
  const outgoing = requestHeaders(headers, target);
  if (websocket) {
    // RFC 8441 → RFC 6455: the app speaks the HTTP/1.1 handshake, which needs its own key.
    outgoing.push(
      'connection',
      'Upgrade',
      'upgrade',
      'websocket',
      'sec-websocket-key',
      randomBytes(16).toString('base64'),
    );
  }
  const request = (target.protocol === 'https:' ? https : http).request({
    host: target.host,
    port: target.port,
    method: websocket ? 'GET' : method,
    path,
    headers: outgoing,
    // An upgraded socket leaves the pool for good; a pooled one would be handed back.
    agent: websocket ? false : agent,
  });

  const fail = (e: NodeJS.ErrnoException) => {
    const error = targetDialError(target.host, target.port, e);
    onTargetFailure(error.message);
    answer(stream, 502, `Bad gateway: ${error.message}`);
  };
  request.on('error', fail);
  // The visitor left (the relay reset the stream): stop the app's side too.
  stream.on('close', () => request.destroy());

  request.on('response', (response) => {
    if (stream.destroyed || stream.closed) {
      response.destroy();
      return;
    }
    respondWith(stream, response);
    response.on('error', () => stream.close(h2.NGHTTP2_INTERNAL_ERROR));
    // By hand rather than pipe: the app is held back only past STREAM_BODY_BUFFER (the stream's
    // own 16 KB mark paused it after every 64 KB read), then HTTP/2 flow control holds it.
    response.on('data', (chunk: Buffer) => {
      if (!stream.write(chunk) && stream.writableLength >= STREAM_BODY_BUFFER) response.pause();
    });
    stream.on('drain', () => response.resume());
    response.once('end', () => stream.end());
  });

  if (websocket) {
    request.on('upgrade', (response, socket: Socket, head: Buffer) => {
      if (stream.destroyed || stream.closed) {
        socket.destroy();
        return;
      }
      respondWith(stream, response, 200, HANDSHAKE);
      if (head.length > 0) stream.write(head);
      socket.on('error', () => stream.close(h2.NGHTTP2_INTERNAL_ERROR));
      stream.on('close', () => socket.destroy());
      socket.pipe(stream);
      stream.pipe(socket);
    });
    request.end();
    return;
  }
  // A request without a body (END_STREAM on its HEADERS: most GETs) is sent as it is, with no
  // pipe to set up and take down per small request.
  if (stream.endAfterHeaders) request.end();
  else stream.pipe(request);
}
