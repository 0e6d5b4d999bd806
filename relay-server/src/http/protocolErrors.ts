import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERROR_STATUS, type ErrorBody, type ErrorCode } from '@cloud-connect/agent-core/api';
import type { Logger } from '../logging/logger.js';
import { answerParserRefusals, parserRefusal, type Refusal } from './parserRefusals.js';

/** A complete HTTP/1.1 error response in the API's error format, ending the connection. */
export function errorResponse(
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

/** The API's error code for each status a parser refusal gets. */
const REFUSAL_CODE = {
  400: 'BAD_REQUEST',
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  431: 'REQUEST_HEADERS_TOO_LARGE',
} as const satisfies Record<Refusal['status'], ErrorCode>;

/** The parser's refusal as an API error response. */
function answerFor(err: NodeJS.ErrnoException & { reason?: string }): string {
  const { status, message } = parserRefusal(err.code).api;
  if (status !== 400) return errorResponse(REFUSAL_CODE[status], message);
  // llhttp's reason is a fixed phrase ("Invalid method encountered"), never request bytes.
  return errorResponse(
    'BAD_REQUEST',
    `${message}${typeof err.reason === 'string' ? ` (${err.reason.slice(0, 100)})` : ''}`,
    typeof err.code === 'string' && err.code.startsWith('HPE_') ? { reason: err.code } : undefined,
  );
}

/**
 * Answer, in the API's error format, what never reaches the Koa app: requests Node's HTTP
 * parser refuses (an unknown method token, malformed framing, oversized headers, a header
 * timeout), which Node would answer with an empty text response, and CONNECT, on which it
 * would drop the connection. The error is written only while no response is in flight on the
 * connection, as Node's default handler does, so it never lands inside another response.
 */
export function answerProtocolErrors(server: Server, logger: Logger): void {
  server.on('clientError', (err: NodeJS.ErrnoException) => {
    logger.debug({ code: err.code }, 'request refused by the HTTP parser');
  });
  answerParserRefusals(server, (err, socket) => {
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
