import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** What a refused request gets: the status and a sentence saying what to do. */
export interface ParserRefusal {
  status: 400 | 408 | 413 | 431;
  message: string;
}

/**
 * What Node's HTTP parser refusing a request means for the client, by its error code,
 * mirroring Node's own default answers. The Cloud API and the built-in edge both read it, each
 * writing the answer in its own format.
 */
export function parserRefusal(code: string | undefined): ParserRefusal {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        message: 'The request headers are too large; send fewer or shorter ones',
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, message: 'The request body has too many chunk extensions' };
    case 'HPE_HEADER_TIMEOUT':
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        message: 'The request did not arrive in time; send it again over a new connection',
      };
    default:
      return { status: 400, message: 'The request is not valid HTTP/1.1' };
  }
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
