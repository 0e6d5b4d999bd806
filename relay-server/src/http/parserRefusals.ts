import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** What a refused request gets: the status and a sentence saying what to do. */
export interface Refusal {
  status: 400 | 408 | 413 | 431;
  message: string;
}

/**
 * One parser refusal as each server answers it. The two differ where they always have: the
 * Cloud API answers a header timeout reported as HPE_HEADER_TIMEOUT as invalid HTTP (400 with
 * the code in details.reason) and each side has its own wording, which clients and pages show.
 */
export interface ParserRefusal {
  /** The Cloud API's error (its message gets llhttp's reason appended when the status is 400). */
  api: Refusal;
  /** The built-in edge's error page. */
  edge: Refusal;
}

const INVALID: ParserRefusal = {
  api: { status: 400, message: 'The request is not valid HTTP/1.1' },
  edge: { status: 400, message: 'The request is not valid HTTP/1.1.' },
};

const EDGE_TIMEOUT: Refusal = {
  status: 408,
  message: 'The request headers did not arrive in time; send it again.',
};

/** Node's parser error codes with an answer of their own; any other code is INVALID. */
const REFUSALS: ReadonlyMap<string, ParserRefusal> = new Map(
  Object.entries({
    HPE_HEADER_OVERFLOW: {
      api: {
        status: 431,
        message: 'The request headers are too large; send fewer or shorter headers',
      },
      edge: {
        status: 431,
        message: 'The request headers are too large; send fewer or shorter ones.',
      },
    },
    HPE_CHUNK_EXTENSIONS_OVERFLOW: {
      api: { status: 413, message: 'The request body has too many chunk extensions' },
      edge: { status: 413, message: 'The request body has too many chunk extensions.' },
    },
    HPE_HEADER_TIMEOUT: { api: INVALID.api, edge: EDGE_TIMEOUT },
    ERR_HTTP_REQUEST_TIMEOUT: {
      api: {
        status: 408,
        message: 'The request did not arrive in time; send it again over a new connection',
      },
      edge: EDGE_TIMEOUT,
    },
  } satisfies Record<string, ParserRefusal>),
);

/**
 * What Node's HTTP parser refusing a request means for the client, by its error code,
 * mirroring Node's own default answers. The Cloud API and the built-in edge both read this one
 * table, each writing its side of the answer in its own format.
 */
export function parserRefusal(code: string | undefined): ParserRefusal {
  return (code === undefined ? undefined : REFUSALS.get(code)) ?? INVALID;
}

/**
 * Call `answer` for each request `server`'s parser refuses, but only while no response is in
 * flight on that connection, as Node's default handler does: a response started (or one queued
 * for an earlier pipelined request, whose handler has not written yet) would take an error
 * written now as its own bytes or its answer. Otherwise, and after a reset, the connection is
 * just closed.
 */
export function answerParserRefusals(
  server: Server,
  answer: (err: NodeJS.ErrnoException & { reason?: string }, socket: Duplex) => void,
): void {
  // Responses not yet closed, per client connection.
  const inFlight = new WeakMap<Duplex, number>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    res.once('close', () => inFlight.set(socket, (inFlight.get(socket) ?? 1) - 1));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight.get(socket)) {
      socket.destroy();
      return;
    }
    answer(err, socket);
  });
}
