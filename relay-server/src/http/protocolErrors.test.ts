import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { ErrorBody } from '@cloud-connect/agent-core/api';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { LogCapture, rawRequest } from '../testing/index.js';
import { answerProtocolErrors } from './protocolErrors.js';

let server: http.Server | undefined;

/** A Node server with `answerProtocolErrors`, its handler, and short timeouts. */
async function start(
  handler: http.RequestListener,
  options: http.ServerOptions = {},
): Promise<string> {
  server = http.createServer(options, handler);
  answerProtocolErrors(server, createLogger('debug', new LogCapture()));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
});

describe('answerProtocolErrors', () => {
  it('answers headers that do not arrive in time with 408 REQUEST_TIMEOUT in the error format', async () => {
    // Node's own timer (headersTimeout, checked every connectionsCheckingInterval) ends the wait.
    const url = await start((_req, res) => res.end('app'), {
      headersTimeout: 200,
      requestTimeout: 300,
      connectionsCheckingInterval: 50,
    });
    const res = await rawRequest(url, 'GET / HTTP/1.1\r\nHost: relay.test\r\nX-Slow: ');
    expect(res.status, res.raw).toBe(408);
    expect(ErrorBody.parse(res.json).error).toEqual({
      code: 'REQUEST_TIMEOUT',
      message: 'The request did not arrive in time; send it again over a new connection',
    });
  });

  it('answers headers over the size limit with 431 REQUEST_HEADERS_TOO_LARGE', async () => {
    const url = await start((_req, res) => res.end('app'), { maxHeaderSize: 1024 });
    const res = await rawRequest(
      url,
      `GET / HTTP/1.1\r\nHost: relay.test\r\nX-Big: ${'a'.repeat(2048)}\r\n\r\n`,
    );
    expect(res.status, res.raw).toBe(431);
    expect(ErrorBody.parse(res.json).error).toEqual({
      code: 'REQUEST_HEADERS_TOO_LARGE',
      message: 'The request headers are too large; send fewer or shorter headers',
    });
  });

  it('answers a header timeout the parser reports as HPE_HEADER_TIMEOUT as invalid HTTP (400, details.reason)', async () => {
    // Node 24 reports its header timer as ERR_HTTP_REQUEST_TIMEOUT; llhttp's own code is
    // handed to the server's clientError listeners here, on a real connection.
    const url = new URL(await start((_req, res) => res.end('app')));
    const accepted = once(server!, 'connection') as Promise<[net.Socket]>;
    const socket = net.connect(Number(url.port), url.hostname);
    socket.on('error', () => undefined);
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    const [serverSide] = await accepted;
    const err = Object.assign(new Error('Parse Error: Header timeout'), {
      code: 'HPE_HEADER_TIMEOUT',
      reason: 'Header timeout',
    });
    server!.emit('clientError', err, serverSide);
    await once(socket, 'close');
    expect(received).toMatch(/^HTTP\/1\.1 400 /);
    const body = ErrorBody.parse(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4)));
    expect(body.error).toEqual({
      code: 'BAD_REQUEST',
      message: 'The request is not valid HTTP/1.1 (Header timeout)',
      details: { reason: 'HPE_HEADER_TIMEOUT' },
    });
  });

  it('never writes an error into a response already on its way', async () => {
    const url = new URL(
      await start((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first part;');
        // The response stays open: the refused request below arrives while it is in flight.
      }),
    );
    const socket = net.connect(Number(url.port), url.hostname);
    let received = '';
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      // Once the first response is on its way, pipeline a request the parser refuses.
      if (received.includes('first part;'))
        socket.write('FOO / HTTP/1.1\r\nHost: relay.test\r\n\r\n');
    });
    socket.on('error', () => undefined);
    socket.write('GET / HTTP/1.1\r\nHost: relay.test\r\n\r\n');
    await once(socket, 'close');
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(received.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    expect(received).not.toContain('BAD_REQUEST');
  });

  it('never answers a refused request in place of an earlier one still being handled', async () => {
    // The first request's handler has not answered yet when the parser refuses the second:
    // an error written now would be read by the client as the answer to the first.
    const held: http.ServerResponse[] = [];
    const url = new URL(await start((_req, res) => void held.push(res)));
    const socket = net.connect(Number(url.port), url.hostname);
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.write(
      'GET / HTTP/1.1\r\nHost: relay.test\r\n\r\nFOO / HTTP/1.1\r\nHost: relay.test\r\n\r\n',
    );
    await once(socket, 'close');
    expect(held).toHaveLength(1);
    expect(received).not.toContain('BAD_REQUEST');
    expect(received).not.toMatch(/^HTTP\/1\.1 400/);
  });

  it('still answers a refused request once the earlier responses on the connection are done', async () => {
    const url = new URL(await start((_req, res) => res.end('app')));
    const socket = net.connect(Number(url.port), url.hostname);
    let received = '';
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      if (received.endsWith('app')) socket.write('FOO / HTTP/1.1\r\nHost: relay.test\r\n\r\n');
    });
    socket.on('error', () => undefined);
    socket.write('GET / HTTP/1.1\r\nHost: relay.test\r\n\r\n');
    await once(socket, 'close');
    expect(received.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 400']);
    expect(received).toContain('BAD_REQUEST');
  });
});
