import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERROR_STATUS, type ErrorBody, type ErrorCode } from '@cloud-connect/agent-core/api';
import type { Logger } from '../logging/logger.js';

/** A complete HTTP/1.1 error response in the API's error format, ending the connection. */
function errorResponse(
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
  extraHeaders: Record<string, string> = {},
): string {
  const status = ERROR_STATUS[code];
  const body: ErrorBody = { error: { code, message, ...(details ? { details } : {}) } };
  const json = JSON.stringify(body);
  const headers = {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(json)),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    Connection: 'close',
    ...extraHeaders,
  };
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${head}\r\n\r\n${json}`;
}

/** What the parser's error means for the client, mirroring Node's own default answers. */
function answerFor(err: NodeJS.ErrnoException & { reason?: string }): string {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return errorResponse(
        'REQUEST_HEADERS_TOO_LARGE',
        'The request headers are too large; send fewer or shorter headers',
      );
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return errorResponse('PAYLOAD_TOO_LARGE', 'The request body has too many chunk extensions');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return errorResponse(
        'REQUEST_TIMEOUT',
        'The request did not arrive in time; send it again over a new connection',
      );
    default:
      // llhttp's reason is a fixed phrase ("Invalid method encountered"), never request bytes.
      return errorResponse(
        'BAD_REQUEST',
        `The request is not valid HTTP/1.1${typeof err.reason === 'string' ? ` (${err.reason.slice(0, 100)})` : ''}`,
        typeof err.code === 'string' && err.code.startsWith('HPE_')
          ? { reason: err.code }
          : undefined,
      );
  }
}

/**
 * Answer, in the API's error format, what never reaches the Koa app: requests Node's HTTP
 * parser refuses (an unknown method token, malformed framing, oversized headers, a header
 * timeout), which Node would answer with an empty text response, and CONNECT, on which it
 * would drop the connection. The error is written only while no response is in flight on the
 * connection, as Node's default handler does, so it never lands inside another response.
 */
export function answerProtocolErrors(server: Server, logger: Logger): void {
  // Responses not yet finished, per connection: one whose handler has not started writing is in
  // flight too (pipelining), and an error written then would be read as its answer.
  const inFlight = new WeakMap<Duplex, number>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    res.once('close', () => inFlight.set(socket, (inFlight.get(socket) ?? 1) - 1));
  });

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    logger.debug({ code: err.code }, 'request refused by the HTTP parser');
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight.get(socket)) {
      socket.destroy();
      return;
    }
    socket.end(answerFor(err), () => socket.destroy());
  });

  // This server is not a proxy: CONNECT has no resource here to allow anything on.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => undefined);
    socket.end(
      errorResponse(
        'METHOD_NOT_ALLOWED',
        'CONNECT is not allowed: this server is not a proxy',
        { allow: [] },
        { Allow: '' },
      ),
      () => socket.destroy(),
    );
  });
}
