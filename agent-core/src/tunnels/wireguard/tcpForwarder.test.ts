import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { TunnelError } from '../tunnelError.js';
import {
  dialTarget,
  startTcpForwarder,
  targetDialError,
  type TcpForwarder,
} from './tcpForwarder.js';

const portOf = (s: Server | HttpServer) => (s.address() as AddressInfo).port;

describe('startTcpForwarder', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function forwarderTo(targetPort: number, onTargetError?: (e: TunnelError) => void) {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const listenPort = portOf(probe);
    await new Promise<void>((r) => probe.close(() => r()));
    const fwd: TcpForwarder = await startTcpForwarder({
      listenHost: '127.0.0.1',
      listenPort,
      targetHost: '127.0.0.1',
      targetPort,
      onTargetError,
    });
    cleanups.push(() => fwd.close());
    return fwd;
  }

  it('carries HTTP requests with keep-alive and streamed bodies both ways', async () => {
    const app = createHttpServer((req, res) => {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => res.end(`got ${n} bytes on ${req.url}`));
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => app.close(r)));
    const fwd = await forwarderTo(portOf(app));
    const body = Buffer.alloc(5 * 1024 * 1024, 7);
    const first = await fetch(`http://127.0.0.1:${fwd.listenPort}/up`, { method: 'POST', body });
    expect(await first.text()).toBe(`got ${body.length} bytes on /up`);
    const second = await fetch(`http://127.0.0.1:${fwd.listenPort}/again`);
    expect(await second.text()).toBe('got 0 bytes on /again');
    expect(fwd.accepted).toBeGreaterThanOrEqual(1);
  });

  it('passes a WebSocket-style upgrade through untouched (it is only bytes)', async () => {
    const app = createHttpServer();
    app.on('upgrade', (req, socket) => {
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
      );
      socket.on('data', (d: Buffer) => socket.write(Buffer.concat([Buffer.from('echo:'), d])));
      socket.on('end', () => socket.destroy());
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => app.close(r)));
    const fwd = await forwarderTo(portOf(app));
    const sock = connect(fwd.listenPort, '127.0.0.1');
    cleanups.push(async () => sock.destroy());
    sock.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    let received = '';
    sock.on('data', (d: Buffer) => {
      received += d.toString();
      if (received.includes('\r\n\r\n') && !received.includes('echo:')) sock.write('ping');
    });
    while (!received.includes('echo:ping')) await once(sock, 'data');
    expect(received).toMatch(/^HTTP\/1.1 101/);
  });

  it('keeps a half-closed connection open until the answer has come back', async () => {
    // The app answers only when the test says so: after the client's end has reached it.
    const appSawEnd = Promise.withResolvers<() => void>();
    const app = createServer({ allowHalfOpen: true }, (s) => {
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('end', () =>
        appSawEnd.resolve(() => s.end(Buffer.concat(chunks).toString().toUpperCase())),
      );
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => app.close(r)));
    const fwd = await forwarderTo(portOf(app));
    const sock = connect({ port: fwd.listenPort, host: '127.0.0.1', allowHalfOpen: true });
    let got = '';
    sock.on('data', (d: Buffer) => (got += d.toString()));
    sock.end('shout');
    const answer = await appSawEnd.promise;
    // The client's end went through; the connection stays open for the answer.
    expect(fwd.connections).toBe(1);
    expect(sock.destroyed).toBe(false);
    const ended = once(sock, 'end');
    answer();
    await ended;
    expect(got).toBe('SHOUT');
  });

  it('reports TARGET_UNAVAILABLE and closes the client when the app is down', async () => {
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const deadPort = portOf(gone);
    await new Promise<void>((r) => gone.close(() => r()));
    const errors: TunnelError[] = [];
    const fwd = await forwarderTo(deadPort, (e) => errors.push(e));
    const sock = connect(fwd.listenPort, '127.0.0.1');
    sock.on('error', () => {});
    await once(sock, 'close');
    expect(errors[0]?.code).toBe('TARGET_UNAVAILABLE');
    expect(errors[0]?.message).toBe(
      `The app at 127.0.0.1:${deadPort} refused the connection: is it running and listening on port ${deadPort}?`,
    );
  });

  it('dials the target once for a test: null when the app accepts, the refusal in words when not', async () => {
    const app = createServer((s) => s.end());
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => app.close(r)));
    expect(await dialTarget('127.0.0.1', portOf(app))).toBeNull();

    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const deadPort = portOf(gone);
    await new Promise<void>((r) => gone.close(() => r()));
    const refused = await dialTarget('127.0.0.1', deadPort);
    expect(refused).toMatchObject({ code: 'TARGET_UNAVAILABLE', retryable: true });
    expect(refused?.message).toMatch(/^The app at 127\.0\.0\.1:\d+ refused the connection/);
    expect(refused?.message).not.toMatch(/internet/i);
  });

  it('names an unknown target host as a wrong address, not a network problem', () => {
    const e = targetDialError('no-such-app.invalid', 8080, { code: 'ENOTFOUND', message: '' });
    expect(e.message).toBe(
      'The target host "no-such-app.invalid" is not known on this machine (ENOTFOUND); check the target address',
    );
  });

  it('refuses to start on a port that is taken, with a TunnelError', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => taken.close(r)));
    await expect(
      startTcpForwarder({
        listenHost: '127.0.0.1',
        listenPort: portOf(taken),
        targetHost: '127.0.0.1',
        targetPort: 1,
      }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('closes the open connections on close()', async () => {
    const app = createServer(() => {});
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => app.close(r)));
    // The forwarder dials the app as it accepts the client, so this means it holds the client.
    const dialled = once(app, 'connection');
    const fwd = await startTcpForwarder({
      listenHost: '127.0.0.1',
      listenPort: 0,
      targetHost: '127.0.0.1',
      targetPort: portOf(app),
    });
    const sock = connect(fwd.listenPort, '127.0.0.1');
    sock.on('error', () => {});
    await Promise.all([once(sock, 'connect'), dialled]);
    expect(fwd.connections).toBe(1);
    await fwd.close();
    await once(sock, 'close');
    expect(fwd.connections).toBe(0);
  });
});
