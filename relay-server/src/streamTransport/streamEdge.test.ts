import { createHash, randomBytes } from 'node:crypto';
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import http2 from 'node:http2';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  builtinEdgeEnv,
  builtinEdgeUrl,
  createAccount,
  createInstance,
  until,
  type TestRelay,
} from '../testing/index.js';
import { startTestRelayForTest } from '../testing/relayFixtures.js';
import { connectStreamAgent } from '../testing/streamAgent.js';

/** What the test agent saw of one stream. */
interface Seen {
  method: string;
  path: string;
  authority: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A stream agent for a new instance that echoes each request it gets and records it. */
async function streamInstance(t: TestRelay, subdomain: string) {
  const account = await createAccount(t);
  const created = await createInstance(t, account, subdomain);
  t.ledger.add(created.credentials.instance_token);
  const seen: Seen[] = [];
  const agent = await connectStreamAgent(t.url, created.credentials.instance_token, (req, res) => {
    if (req.method === 'CONNECT') {
      // RFC 8441: a WebSocket; this agent accepts it and echoes every byte upper-cased.
      seen.push({
        method: `CONNECT ${req.headers[':protocol']}`,
        path: req.url,
        authority: req.authority,
        headers: req.headers,
        body: '',
      });
      res.writeHead(200, { 'sec-websocket-protocol': 'echo' });
      req.on('data', (d: Buffer) => res.write(d.toString().toUpperCase()));
      return;
    }
    if (req.url === '/cut' || req.url === '/die') {
      // An agent that starts a long answer, then cancels the stream halfway, or loses the
      // whole session (its connection reset).
      res.writeHead(200, { 'content-length': '100000' });
      res.write('x'.repeat(1000), () =>
        req.url === '/cut'
          ? res.stream.close(http2.constants.NGHTTP2_CANCEL)
          : res.stream.session?.socket.destroy(),
      );
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      // An app that takes the request and never answers it.
      if (req.url === '/hang') return;
      const body = Buffer.concat(chunks).toString();
      seen.push({
        method: req.method,
        path: req.url,
        authority: req.authority,
        headers: req.headers,
        body,
      });
      res.setHeader('x-agent', subdomain);
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.end(`${subdomain}: ${req.method} ${req.url} ${body.length} bytes`);
    });
  });
  if (!agent.ok) throw new Error(`upgrade refused: ${agent.status}`);
  await until('session registered', () => t.relay.streams.has(created.instance.id));
  await routed(t, `${subdomain}.cloud.test`);
  return { id: created.instance.id, host: `${subdomain}.cloud.test`, seen, agent };
}

/** Wait until the edge's route table (which follows the relay's events) knows `host`. */
function routed(t: TestRelay, host: string) {
  return until(`${host} routed`, () => t.relay.edge.routes.resolve(host), 5_000, 20);
}

/** A request to the edge for `host` (fetch cannot set Host). */
async function viaEdge(t: TestRelay, host: string, path: string, init: RequestInit = {}) {
  const url = new URL(path, builtinEdgeUrl(t));
  return new Promise<{ status: number; headers: IncomingHttpHeaders; text: string }>(
    (resolve, reject) => {
      const req = request(
        url,
        { method: init.method ?? 'GET', headers: { host, ...(init.headers as object) } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        },
      );
      req.on('error', reject);
      req.end(init.body as string | undefined);
    },
  );
}

describe('stream transport: the edge', () => {
  it('carries a GET and a POST with its body to the agent and its answer back', async () => {
    const t = await startTestRelayForTest({ env: builtinEdgeEnv('127.77.0.0/24') });
    const app = await streamInstance(t, 'streamed');

    const get = await viaEdge(t, app.host, '/page?q=1');
    expect(get).toMatchObject({ status: 200, text: 'streamed: GET /page?q=1 0 bytes' });
    expect(get.headers['x-agent']).toBe('streamed');
    expect(get.headers['set-cookie']).toEqual(['a=1', 'b=2']);

    const body = 'x'.repeat(3 * 1024 * 1024);
    const post = await viaEdge(t, app.host, '/upload', { method: 'POST', body });
    expect(post).toMatchObject({
      status: 200,
      text: `streamed: POST /upload ${body.length} bytes`,
    });

    expect(app.seen[0]).toMatchObject({ method: 'GET', path: '/page?q=1', authority: app.host });
    expect(app.seen[0]?.headers['x-forwarded-host']).toBe(app.host);
    expect(app.seen[0]?.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(app.seen[1]?.body.length).toBe(body.length);
  });

  it.each([
    ['GET', 'a body'],
    ['DELETE', 'a body'],
    ['POST', ''],
  ])('carries a %s with %j as the edge framed it', async (method, body) => {
    const t = await startTestRelayForTest({ env: builtinEdgeEnv('127.77.7.0/24') });
    const app = await streamInstance(t, 'framed');
    // A body only where the client framed one (Content-Length: 0 for the empty POST).
    const headers = { 'content-length': String(body.length) };
    const answer = await viaEdge(t, app.host, '/framed', { method, body, headers });
    expect(answer).toMatchObject({
      status: 200,
      text: `framed: ${method} /framed ${body.length} bytes`,
    });
    expect(app.seen[0]?.body).toBe(body);
  });

  it('never sends a host of instance B to the session of instance A', async () => {
    const t = await startTestRelayForTest({ env: builtinEdgeEnv('127.77.1.0/24') });
    const a = await streamInstance(t, 'alpha');
    const account = await createAccount(t);
    const b = await createInstance(t, account, 'bravo');
    t.ledger.add(b.credentials.instance_token);
    await routed(t, 'bravo.cloud.test');

    const offline = await viaEdge(t, 'bravo.cloud.test', '/');
    expect(offline.status).toBe(502);
    expect(a.seen).toEqual([]);

    expect((await viaEdge(t, a.host, '/')).text).toBe('alpha: GET / 0 bytes');
    expect(a.seen.map((s) => s.authority)).toEqual([a.host]);
  });

  it('falls back to the offline page as soon as the agent closes its session', async () => {
    const t = await startTestRelayForTest({ env: builtinEdgeEnv('127.77.2.0/24') });
    const app = await streamInstance(t, 'leaving');
    app.agent.close();
    await until('session gone', () => !t.relay.streams.has(app.id), 2_000, 20);
    expect((await viaEdge(t, app.host, '/')).status).toBe(502);
  });

  it('answers 504 when the app takes the request but does not start its answer in time', async () => {
    const env = { ...builtinEdgeEnv('127.77.4.0/24'), EDGE_RESPONSE_TIMEOUT_MS: '300' };
    const t = await startTestRelayForTest({ env });
    const app = await streamInstance(t, 'hanging');
    const started = Date.now();
    const hung = await viaEdge(t, app.host, '/hang');
    expect(hung.status).toBe(504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    // The session is still good for the next request.
    expect((await viaEdge(t, app.host, '/next')).status).toBe(200);
  });

  it.each([
    // The session is still good for the next request.
    ['the agent cancels the stream', '/cut', '127.77.5.0/24', 200],
    // The instance's only session is gone: the offline page.
    ['its session dies', '/die', '127.77.6.0/24', 502],
  ])("cuts the visitor's answer when %s in the middle of the body", async (_, path, pool, next) => {
    const t = await startTestRelayForTest({ env: builtinEdgeEnv(pool) });
    const app = await streamInstance(t, 'cutting');
    const cut = await new Promise<{ status: number; bytes: number; complete: boolean }>(
      (resolve, reject) => {
        const req = request(new URL(path, builtinEdgeUrl(t)), { headers: { host: app.host } });
        req.on('response', (res) => {
          let bytes = 0;
          res.on('data', (d: Buffer) => (bytes += d.length));
          res.on('error', () => {});
          res.on('close', () =>
            resolve({ status: res.statusCode ?? 0, bytes, complete: res.complete }),
          );
        });
        req.on('error', reject);
        req.end();
      },
    );
    expect(cut).toEqual({ status: 200, bytes: 1000, complete: false });
    if (next === 502) await until('session gone', () => !t.relay.streams.has(app.id), 2_000, 20);
    expect((await viaEdge(t, app.host, '/next')).status).toBe(next);
  });

  it('carries a WebSocket upgrade as extended CONNECT and splices its bytes both ways', async () => {
    const t = await startTestRelayForTest({ env: builtinEdgeEnv('127.77.3.0/24') });
    const app = await streamInstance(t, 'sockets');
    const key = randomBytes(16).toString('base64');
    const { res, socket } = await new Promise<{ res: IncomingMessage; socket: Socket }>(
      (resolve, reject) => {
        const req = request(new URL('/ws', builtinEdgeUrl(t)), {
          headers: {
            host: app.host,
            connection: 'Upgrade',
            upgrade: 'websocket',
            'sec-websocket-key': key,
            'sec-websocket-version': '13',
          },
        });
        req.on('upgrade', (r: IncomingMessage, s: Socket) => resolve({ res: r, socket: s }));
        req.on('response', (r) => reject(new Error(`no upgrade: ${r.statusCode}`)));
        req.on('error', reject);
        req.end();
      },
    );
    expect(res.statusCode).toBe(101);
    expect(res.headers['sec-websocket-accept']).toBe(
      createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64'),
    );
    expect(res.headers['sec-websocket-protocol']).toBe('echo');
    const echoed = new Promise<string>((resolve) =>
      socket.once('data', (d: Buffer) => resolve(d.toString())),
    );
    socket.write('hello');
    expect(await echoed).toBe('HELLO');
    expect(app.seen[0]).toMatchObject({
      method: 'CONNECT websocket',
      path: '/ws',
      authority: app.host,
    });
    socket.destroy();
  });
});
