import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import {
  connect as http2Connect,
  constants,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type OutgoingHttpHeaders,
} from 'node:http2';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { duplexPair, Readable, type Duplex } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  STREAM_PATH,
  STREAM_PING_DEADLINE_MS,
  STREAM_PING_INTERVAL_MS,
  STREAM_PROTOCOL,
  STREAM_SESSION_SETTINGS,
} from '../../api/streamTransport.js';
import { manualClock, type ManualClock } from '../../testing/manualClock.js';
import { waitForEvent } from '../../testing/eventWaiter.js';
import { sessionTransport } from './sessionTransport.js';
import { STREAM_REDIAL_CAP_MS, StreamDriver } from './streamDriver.js';

const TOKEN = 'inst_test_token_0123456789';

/** Resolve when `check` holds, looking again every few ms (real events, not a timer race). */
const until = (check: () => boolean | Promise<boolean>, what: string) =>
  vi.waitFor(
    async () => {
      if (!(await check())) throw new Error(`still waiting for ${what}`);
    },
    { timeout: 10_000, interval: 5 },
  );

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function listen(server: http.Server | https.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

/**
 * The relay's end, written here as the other side of the contract: accepts the upgrade, then
 * runs an HTTP/2 client over the socket. `refuse` answers the upgrade with a JSON API error (a
 * 429 with Retry-After: 30); `silent` answers 101 and then never reads (a relay that stopped
 * answering); `freezable` serves, over a stream pair, until `freeze()` stops its reading.
 */
async function startRelay(
  mode: 'serve' | 'freezable' | 'silent' | 'hangup' | { refuse: number } = 'serve',
  tls?: { key: string; cert: string },
) {
  const sessions: ClientHttp2Session[] = [];
  const sockets: Socket[] = [];
  let upgrades = 0;
  const authorizations: (string | undefined)[] = [];
  const freezers: (() => void)[] = [];
  const notFound: http.RequestListener = (_req, res) => res.writeHead(404).end();
  const server = tls ? https.createServer(tls, notFound) : http.createServer(notFound);
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket) => {
    upgrades += 1;
    authorizations.push(req.headers.authorization);
    sockets.push(socket);
    if (typeof mode === 'object') {
      const body = JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'Invalid token' } });
      socket.end(
        `HTTP/1.1 ${mode.refuse} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${mode.refuse === 429 ? 'retry-after: 30\r\n' : ''}connection: close\r\n\r\n${body}`,
      );
      return;
    }
    if (req.url !== STREAM_PATH || req.headers.upgrade !== STREAM_PROTOCOL) {
      socket.destroy();
      return;
    }
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: ${STREAM_PROTOCOL}\r\n\r\n`,
    );
    if (mode === 'silent') {
      socket.pause();
      return;
    }
    if (mode === 'hangup') {
      socket.destroy();
      return;
    }
    let transport: Duplex = sessionTransport(socket);
    if (mode === 'freezable') {
      // http2 reads a plain socket's handle itself; through a pair, unpiping stops its reading.
      const [near, far] = duplexPair();
      socket.pipe(near);
      near.pipe(socket);
      transport = far;
      freezers.push(() => {
        socket.unpipe(near);
        socket.pause();
      });
    }
    const session = http2Connect('http://agent.invalid', {
      createConnection: () => transport,
      settings: STREAM_SESSION_SETTINGS,
    });
    session.on('error', () => {});
    // Extended CONNECT may be sent only once the agent's SETTINGS allowed it.
    session.once('remoteSettings', () => sessions.push(session));
  });
  const port = await listen(server);
  closers.push(() => {
    for (const s of sessions) s.destroy();
    for (const s of sockets) s.destroy();
  });
  return {
    // By name over TLS, as relays are reached: the certificate names localhost.
    url: tls ? `https://localhost:${port}` : `http://127.0.0.1:${port}`,
    sessions,
    sockets,
    authorizations,
    upgrades: () => upgrades,
    /** `freezable`: the relay stops reading its sessions (and so answering their pings). */
    freeze: () => freezers.forEach((f) => f()),
  };
}

/** The local app: echoes what it was asked, bodies included, and echoes WebSocket bytes. */
async function startApp() {
  const seen: { method: string; url: string; host: string | undefined }[] = [];
  /** `/big`: what the app has handed to its socket so far, and whether the visitor left. */
  const big = { written: 0, closed: false };
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host });
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.on('close', () => (big.closed = true));
      // 50 MB written only as fast as the far end reads (backpressure from the visitor).
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = () => {
        while (big.written < BIG && !res.destroyed) {
          big.written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end();
      };
      pump();
      return;
    }
    if (req.url === '/repeated') {
      // A field HTTP/2 allows once, twice; a list field twice; a hop-by-hop one.
      res.setHeader('content-type', ['text/plain', 'text/html']);
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.setHeader('keep-alive', 'timeout=5');
      res.end('repeated');
      return;
    }
    if (req.method === 'POST') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-app': 'yes' });
      req.pipe(res);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', connection: 'keep-alive' });
    res.end(`hello ${req.url} for ${req.headers.host}`);
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket) => {
    const accept = createHash('sha1')
      .update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\n\r\n`,
    );
    socket.pipe(socket);
  });
  const port = await listen(server);
  return { server, port, seen, big };
}

const BIG = 50 * 1024 * 1024;

function startDriver(
  relayUrl: string,
  target: string,
  clock: ManualClock,
  /** 'environment': whatever *_PROXY says; else this proxy or none. */
  proxy: string | null | 'environment' = null,
  ca?: string,
) {
  const driver = new StreamDriver({
    relayUrl,
    token: TOKEN,
    target,
    ca,
    // No proxy unless the test names one: the machine's own *_PROXY must not steer the tests.
    ...(proxy === 'environment' ? {} : { proxy }),
    hostnames: ['demo.example.test'],
    clock,
    timers: clock,
    random: () => 0,
  });
  closers.push(() => driver.stop());
  return driver;
}

/** A relay, an app and a driver between them, with both sessions up. */
async function connectedDriver(proxy: string | null = null, mode: 'serve' | 'freezable' = 'serve') {
  const relay = await startRelay(mode);
  const app = await startApp();
  const clock = manualClock();
  const driver = startDriver(relay.url, `http://127.0.0.1:${app.port}`, clock, proxy);
  await driver.start();
  await until(() => relay.sessions.length === 2, 'two sessions');
  return { relay, app, driver, clock };
}

/** One request over a relay session, as the edge sends it; the whole answer collected. */
async function send(session: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: Buffer) {
  const stream: ClientHttp2Stream = session.request(headers, { endStream: body === undefined });
  // In slices through a pipe, as the edge does: one 10 MB write would sit in the session's
  // memory at once and trip its limit.
  if (body) {
    const slices = function* () {
      for (let i = 0; i < body.length; i += 64 * 1024) yield body.subarray(i, i + 64 * 1024);
    };
    Readable.from(slices()).pipe(stream);
  }
  const [responseHeaders] = (await once(stream, 'response')) as [Record<string, unknown>];
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return {
    status: responseHeaders[':status'],
    headers: responseHeaders,
    body: Buffer.concat(chunks),
  };
}

const get = (authority: string, path: string) => ({
  ':method': 'GET',
  ':scheme': 'https',
  ':authority': authority,
  ':path': path,
});

describe('StreamDriver', () => {
  it('opens two sessions with the instance token and carries a GET to the app with the public Host', async () => {
    const { relay, driver } = await connectedDriver();
    expect(relay.authorizations).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
    await until(async () => (await driver.status()).connected, 'connected');

    const answer = await send(relay.sessions[0]!, get('demo.example.test', '/page?x=1'));
    expect(answer.status).toBe(200);
    expect(answer.body.toString()).toBe('hello /page?x=1 for demo.example.test');
    const status = await driver.status();
    expect(status).toMatchObject({
      running: true,
      connected: true,
      hostnames: ['demo.example.test'],
    });
    expect(status.details).toMatchObject({ sessions: 2 });
  });

  it('streams a 10 MB POST body to the app and its 10 MB answer back, byte for byte', async () => {
    const { relay } = await connectedDriver();
    const body = Buffer.alloc(10 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4096) body.writeUInt32BE(i, i);

    const answer = await send(
      relay.sessions[1]!,
      { ...get('demo.example.test', '/upload'), ':method': 'POST' },
      body,
    );
    expect(answer.status).toBe(200);
    expect(answer.headers['x-app']).toBe('yes');
    expect(answer.body.length).toBe(body.length);
    expect(answer.body.equals(body)).toBe(true);
  });

  it("passes the app's answer headers on without hop-by-hop ones, the first of a field it repeats that HTTP/2 allows once", async () => {
    const { relay } = await connectedDriver();
    const answer = await send(relay.sessions[0]!, get('demo.example.test', '/repeated'));
    expect(answer).toMatchObject({ status: 200, body: Buffer.from('repeated') });
    expect(answer.headers).toMatchObject({
      'content-type': 'text/plain',
      'set-cookie': ['a=1', 'b=2'],
    });
    expect(answer.headers['keep-alive']).toBeUndefined();
    expect(answer.headers.connection).toBeUndefined();
  });

  it('dials only the configured target, whatever host, port or URL the stream names', async () => {
    const { relay, app } = await connectedDriver();
    const decoy = await startApp();
    const session = relay.sessions[0]!;

    const named = await send(session, {
      ...get(`127.0.0.1:${decoy.port}`, '/'),
      host: `127.0.0.1:${decoy.port}`,
    });
    expect(named.status).toBe(200);
    // HTTP/2 itself refuses an absolute-form :path (nghttp2 resets the stream).
    await expect(
      send(session, get('demo.example.test', `http://127.0.0.1:${decoy.port}/`)),
    ).rejects.toThrow(/PROTOCOL_ERROR/);
    const connect = await send(session, {
      ':method': 'CONNECT',
      ':authority': `127.0.0.1:${decoy.port}`,
    });
    expect(connect.status).toBe(400);

    expect(decoy.seen).toEqual([]);
    expect(app.seen).toEqual([{ method: 'GET', url: '/', host: `127.0.0.1:${decoy.port}` }]);
  });

  it('holds a 50 MB answer the relay does not read to what flow control allows, and ends it when the visitor leaves', async () => {
    const { relay, app, driver } = await connectedDriver();

    const stream = relay.sessions[0]!.request(get('demo.example.test', '/big'));
    await once(stream, 'response');
    stream.pause();
    // Wait until the app is held back: its writes stop advancing while nobody reads.
    let last = -1;
    let still = 0;
    await until(() => {
      still = app.big.written === last ? still + 1 : 0;
      last = app.big.written;
      return still >= 20;
    }, 'the app to be held back');
    expect(app.big.written).toBeLessThan(BIG / 2);
    expect(app.big.closed).toBe(false);

    // The visitor leaves: the relay resets the stream and the app's response is closed.
    stream.close(constants.NGHTTP2_CANCEL);
    await until(() => app.big.closed, 'the app to see the visitor leave');
    expect(app.big.written).toBeLessThan(BIG);
    expect((await driver.status()).connected).toBe(true);
  });

  // An https target too: its requests go through an agent of its own scheme.
  it.each(['http', 'https'])(
    'answers 502 on the stream when the %s app is down, and logs it once',
    async (scheme) => {
      const relay = await startRelay();
      const app = await startApp();
      const downPort = app.port;
      await new Promise<void>((resolve) => app.server.close(() => resolve()));
      const driver = startDriver(relay.url, `${scheme}://127.0.0.1:${downPort}`, manualClock());
      const warnings: string[] = [];
      driver.events.on('log', (l) => l.level === 'warn' && warnings.push(l.message));
      await driver.start();
      await until(() => relay.sessions.length === 2, 'two sessions');

      const answer = await send(relay.sessions[0]!, get('demo.example.test', '/'));
      expect(answer.status).toBe(502);
      expect(answer.body.toString()).toMatch(/refused the connection/);
      expect((await driver.status()).connected).toBe(true);
      // A down app is one warning, not one per stream.
      expect((await send(relay.sessions[1]!, get('demo.example.test', '/'))).status).toBe(502);
      expect(warnings.filter((w) => /refused the connection/.test(w))).toHaveLength(1);
    },
  );

  it("pipes an RFC 8441 WebSocket stream to the app's HTTP/1.1 upgrade, both ways", async () => {
    const { relay } = await connectedDriver();

    const stream = relay.sessions[0]!.request(
      {
        ':method': 'CONNECT',
        ':protocol': 'websocket',
        ':scheme': 'https',
        ':authority': 'demo.example.test',
        ':path': '/ws',
        'sec-websocket-version': '13',
      },
      { endStream: false },
    );
    const [headers] = (await once(stream, 'response')) as [Record<string, unknown>];
    expect(headers[':status']).toBe(200);
    stream.write('frame bytes');
    const [echo] = (await once(stream, 'data')) as [Buffer];
    expect(echo.toString()).toBe('frame bytes');
    stream.close();
  });

  it.each([
    [401, 'TOKEN_REVOKED', /no longer accepts this instance token \(401: UNAUTHORIZED: Invalid/],
    [403, 'TOKEN_REVOKED', /no longer accepts this instance token \(403/],
    [404, 'CONFIG_INVALID', /does not offer the stream transport \(404/],
  ])('exits on an upgrade refused with %i (%s) and never redials', async (status, code, said) => {
    const relay = await startRelay({ refuse: status });
    const clock = manualClock();
    const driver = startDriver(relay.url, 'http://127.0.0.1:9', clock);
    const exit = waitForEvent(driver.events, 'exit');
    await driver.start();
    const [error] = await exit;
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(said);
    expect(error.message).not.toContain(TOKEN);

    expect(clock.pendingTimers()).toBe(0);
    clock.advance(60 * 60 * 1000);
    expect(clock.pendingTimers()).toBe(0);
    // A round trip to the relay: any dial made after the exit would have arrived before it.
    await fetch(`${relay.url}/`);
    // At most the first dial of each session (the second may have been on the wire already).
    expect(relay.upgrades()).toBeLessThanOrEqual(2);
    expect(await driver.status()).toMatchObject({ running: false, connected: false });
  });

  const sessions = async (driver: StreamDriver) => (await driver.status()).details?.sessions;

  it('drops a session silent from the start exactly STREAM_PING_DEADLINE_MS after it came up, and redials it with backoff', async () => {
    const relay = await startRelay('silent');
    const clock = manualClock();
    const driver = startDriver(relay.url, 'http://127.0.0.1:9', clock);
    await driver.start();
    await until(async () => (await sessions(driver)) === 2, 'two sessions');

    clock.advance(STREAM_PING_DEADLINE_MS - 1);
    expect(await sessions(driver)).toBe(2);
    clock.advance(1);
    expect(await sessions(driver)).toBe(0);
    // Backoff's first delay (no jitter with random = 0), set once the session has closed.
    expect(await clock.whenScheduled((ms) => ms === 1_000)).toBe(1_000);
    await until(
      async () => clock.pendingDelays().filter((ms) => ms === 1_000).length === 2,
      'two redials',
    );
    expect(relay.upgrades()).toBe(2);
    clock.advance(1_000);
    await until(() => relay.upgrades() === 4, 'both sessions redialled');
  });

  it('drops a session that goes silent right after an answer exactly STREAM_PING_DEADLINE_MS after that answer, pinging on meanwhile', async () => {
    const { relay, driver, clock } = await connectedDriver(null, 'freezable');
    const answered = () =>
      until(async () => (await driver.status()).details?.pings_unanswered === 0, 'the answers');
    clock.advance(STREAM_PING_INTERVAL_MS);
    await answered();
    relay.freeze();
    // The ping at 10 s goes unanswered; the session stays until 10 s after the answer at 5 s.
    clock.advance(STREAM_PING_DEADLINE_MS - 1);
    expect((await driver.status()).details).toMatchObject({ sessions: 2, pings_unanswered: 1 });
    clock.advance(1);
    expect(await sessions(driver)).toBe(0);
  });

  it('backs off further each time the relay accepts a session and drops it at once, never past STREAM_REDIAL_CAP_MS', async () => {
    const relay = await startRelay('hangup');
    const clock = manualClock();
    const driver = startDriver(relay.url, 'http://127.0.0.1:9', clock);
    await driver.start();
    const delays = [1_000, 2_000, STREAM_REDIAL_CAP_MS, STREAM_REDIAL_CAP_MS, STREAM_REDIAL_CAP_MS];
    for (const [step, delay] of delays.entries()) {
      await until(
        () => clock.pendingDelays().filter((ms) => ms === delay).length === 2,
        `${delay} ms`,
      );
      expect(relay.upgrades()).toBe(2 * (step + 1));
      clock.advance(delay);
      await until(() => relay.upgrades() === 2 * (step + 2), 'the redials');
    }
    expect((await driver.status()).error?.code).toBe('UNREACHABLE');
  });

  it('reaches a relay that starts listening again within STREAM_REDIAL_CAP_MS, jitter included', async () => {
    // A port nothing listens on yet: every dial is refused, as while a relay restarts.
    const probe = http.createServer();
    const port = await listen(probe);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const clock = manualClock();
    const driver = new StreamDriver({
      relayUrl: `http://127.0.0.1:${port}`,
      token: TOKEN,
      target: 'http://127.0.0.1:9',
      proxy: null,
      clock,
      timers: clock,
      // The longest delays jitter allows.
      random: () => 0.999,
    });
    closers.push(() => driver.stop());
    await driver.start();
    // Down for a while: the delays grow, then stay at the cap.
    for (let waited = 0; waited < 30_000;) {
      await until(() => clock.pendingDelays().length === 2, 'the redials');
      const next = Math.max(...clock.pendingDelays());
      expect(next).toBeLessThanOrEqual(STREAM_REDIAL_CAP_MS);
      clock.advance(next);
      waited += next;
    }
    await until(() => clock.pendingDelays().length === 2, 'the redials');
    const relay = http.createServer();
    let upgrades = 0;
    relay.on('upgrade', (_req, socket: Socket) => {
      upgrades += 1;
      socket.destroy();
    });
    relay.listen(port, '127.0.0.1');
    await once(relay, 'listening');
    closers.push(() => new Promise<void>((resolve) => relay.close(() => resolve())));
    clock.advance(STREAM_REDIAL_CAP_MS);
    await until(() => upgrades === 2, 'both sessions dialled the relay again');
  });

  it('waits as long as a 429 Retry-After asks before redialling, though longer than its backoff', async () => {
    const relay = await startRelay({ refuse: 429 });
    const clock = manualClock();
    const driver = startDriver(relay.url, 'http://127.0.0.1:9', clock);
    await driver.start();
    await until(() => clock.pendingDelays().length === 2, 'the redials');
    expect(clock.pendingDelays()).toEqual([30_000, 30_000]);
    const { running, error } = await driver.status();
    expect(running).toBe(true);
    expect(error).toMatchObject({ code: 'RELAY_ERROR', details: { retry_after_ms: 30_000 } });
    clock.advance(30_000 - 1);
    expect(relay.upgrades()).toBe(2);
    clock.advance(1);
    await until(() => relay.upgrades() === 4, 'the redials');
  });

  it('keeps a session whose relay answers pings, and reports the round trip', async () => {
    const { relay, driver, clock } = await connectedDriver();
    for (let i = 0; i < 4; i++) {
      clock.advance(STREAM_PING_INTERVAL_MS);
      await until(
        async () => (await driver.status()).details?.pings_unanswered === 0,
        'the ping answers',
      );
    }
    expect(relay.upgrades()).toBe(2);
    expect((await driver.status()).details).toMatchObject({ sessions: 2 });
    expect((await driver.status()).details?.last_ping_ms).toEqual(expect.any(Number));
  });

  it('stop() closes every session, socket and timer, and can be called twice', async () => {
    const { relay, app, driver, clock } = await connectedDriver();
    await send(relay.sessions[0]!, get('demo.example.test', '/'));

    await driver.stop();
    await driver.stop();
    expect(clock.pendingTimers()).toBe(0);
    await until(() => relay.sockets.every((s) => s.closed), 'relay sockets closed');
    await until(
      () => new Promise((resolve) => app.server.getConnections((_e, n) => resolve(n === 0))),
      'app connections closed',
    );
    expect(await driver.status()).toMatchObject({ running: false, connected: false });
  });

  it('rejects a target or relay URL it cannot use before starting anything', () => {
    expect(
      () => new StreamDriver({ relayUrl: 'ftp://x', token: TOKEN, target: 'http://127.0.0.1:1' }),
    ).toThrow(/http:\/\/ or https:\/\//);
    expect(
      () => new StreamDriver({ relayUrl: 'http://x', token: TOKEN, target: 'tcp://127.0.0.1:22' }),
    ).toThrow(/carries HTTP/);
    expect(() => new StreamDriver({ relayUrl: 'http://x', token: TOKEN, target: 'nope' })).toThrow(
      /not a URL/,
    );
  });

  it('checkTarget dials the target once', async () => {
    const app = await startApp();
    const driver = new StreamDriver({
      relayUrl: 'http://127.0.0.1:9',
      token: TOKEN,
      target: `http://127.0.0.1:${app.port}`,
    });
    expect(await driver.checkTarget()).toBeNull();
  });
});

/** A tiny HTTP CONNECT proxy on loopback; `refuse` answers every CONNECT with that status. */
async function startProxy(refuse?: number) {
  const connects: { target: string; auth: string | undefined }[] = [];
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req: http.IncomingMessage, client: Socket, head: Buffer) => {
    connects.push({ target: req.url ?? '', auth: req.headers['proxy-authorization'] });
    if (refuse) {
      client.end(`HTTP/1.1 ${refuse} No\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    const [host, port] = (req.url ?? '').split(':');
    const upstream = netConnect({ host, port: Number(port) }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
  });
  const port = await listen(server);
  return { url: `http://user:s3cret@127.0.0.1:${port}`, connects };
}

describe('StreamDriver through an HTTP CONNECT proxy', () => {
  it('tunnels its sessions through the proxy it is given, and streams work over them', async () => {
    const proxy = await startProxy();
    const { relay } = await connectedDriver(proxy.url);

    const relayHost = new URL(relay.url).host;
    expect(proxy.connects).toEqual([
      { target: relayHost, auth: `Basic ${Buffer.from('user:s3cret').toString('base64')}` },
      { target: relayHost, auth: `Basic ${Buffer.from('user:s3cret').toString('base64')}` },
    ]);
    const answer = await send(relay.sessions[0]!, get('demo.example.test', '/via-proxy'));
    expect(answer.body.toString()).toBe('hello /via-proxy for demo.example.test');
  });

  it('takes the proxy from the environment and honours NO_PROXY', async () => {
    const relay = await startRelay();
    const proxy = await startProxy();
    vi.stubEnv('http_proxy', proxy.url);
    vi.stubEnv('HTTP_PROXY', proxy.url);
    closers.push(() => {
      vi.unstubAllEnvs();
    });
    const proxied = startDriver(relay.url, 'http://127.0.0.1:9', manualClock(), 'environment');
    await proxied.start();
    await until(() => relay.sessions.length === 2, 'two proxied sessions');
    expect(proxy.connects).toHaveLength(2);
    await proxied.stop();

    vi.stubEnv('no_proxy', '127.0.0.1');
    vi.stubEnv('NO_PROXY', '127.0.0.1');
    const direct = startDriver(relay.url, 'http://127.0.0.1:9', manualClock(), 'environment');
    await direct.start();
    await until(() => relay.sessions.length === 4, 'two direct sessions');
    expect(proxy.connects).toHaveLength(2);
  });

  it("reports a proxy that refuses CONNECT as the proxy's failure, retried, never as a revoked token", async () => {
    const relay = await startRelay();
    const proxy = await startProxy(407);
    const clock = manualClock();
    const driver = startDriver(relay.url, 'http://127.0.0.1:9', clock, proxy.url);
    await driver.start();
    await until(async () => (await driver.status()).error !== null, 'the refusal');

    const { error, running } = await driver.status();
    expect(running).toBe(true);
    expect(error?.code).toBe('UNREACHABLE');
    expect(error?.message).toMatch(/proxy at http:\/\/127\.0\.0\.1:\d+ refused .*407.*HTTPS_PROXY/);
    expect(error?.message).not.toContain('s3cret');
    expect(relay.upgrades()).toBe(0);
    expect(await clock.whenScheduled((ms) => ms === 1_000)).toBe(1_000);
  });

  it('rejects a proxy setting that is not an http(s) URL before starting', () => {
    expect(
      () =>
        new StreamDriver({
          relayUrl: 'https://relay.example.test',
          token: TOKEN,
          target: 'http://127.0.0.1:1',
          proxy: 'socks5://127.0.0.1:1080',
        }),
    ).toThrow(/CONNECT proxy/);
  });
});

/** A throwaway self-signed certificate (openssl) for these names, the relay's and its own CA. */
function selfSignedCertificate(subjectAltName = 'DNS:localhost,IP:127.0.0.1'): {
  key: string;
  cert: string;
} {
  const dir = mkdtempSync(path.join(tmpdir(), 'cc-stream-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=relay.test',
        '-addext',
        `subjectAltName=${subjectAltName}`,
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(path.join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('StreamDriver to an https relay', () => {
  const tls = selfSignedCertificate();

  // By name and by IP address, each with a certificate for that name only: through a proxy too
  // it is checked against the relay's own host (https-proxy-agent alone checks an IP relay's
  // certificate against "localhost").
  it.each([
    ['localhost', 'DNS:localhost'],
    ['127.0.0.1', 'IP:127.0.0.1'],
  ])(
    'reaches the relay at %s with the CA it is given, directly and through a CONNECT proxy',
    async (host, subjectAltName) => {
      const own = selfSignedCertificate(subjectAltName);
      const relay = await startRelay('serve', own);
      const relayUrl = relay.url.replace('localhost', host);
      const app = await startApp();
      const proxy = await startProxy();
      const target = `http://127.0.0.1:${app.port}`;
      const direct = startDriver(relayUrl, target, manualClock(), null, own.cert);
      await direct.start();
      await until(() => relay.sessions.length === 2, 'two direct sessions');
      const proxied = startDriver(relayUrl, target, manualClock(), proxy.url, own.cert);
      await proxied.start();
      await until(() => relay.sessions.length === 4, 'two proxied sessions');
      expect(proxy.connects.map((c) => c.target)).toEqual([
        new URL(relayUrl).host,
        new URL(relayUrl).host,
      ]);

      const answer = await send(relay.sessions[3]!, get('demo.example.test', '/tls'));
      expect(answer.body.toString()).toBe('hello /tls for demo.example.test');
    },
  );

  it("says the certificate is not trusted when the relay's CA is unknown, and keeps retrying", async () => {
    const relay = await startRelay('serve', tls);
    const clock = manualClock();
    const driver = startDriver(relay.url, 'http://127.0.0.1:9', clock);
    await driver.start();
    await until(async () => (await driver.status()).error !== null, 'the TLS failure');

    const { error, running } = await driver.status();
    expect(running).toBe(true);
    expect(error?.code).toBe('UNREACHABLE');
    expect(error?.message).toMatch(/certificate this machine does not trust .*NODE_EXTRA_CA_CERTS/);
    expect(relay.upgrades()).toBe(0);
    expect(await clock.whenScheduled((ms) => ms === 1_000)).toBe(1_000);
  });
});
