import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import http, { type IncomingMessage, type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { EdgeTimeouts } from '../config/config.js';
import { createLogger } from '../logging/logger.js';
import { BuiltinEdge } from './builtinEdge.js';
import { hostName, type ResolvedRoute, type RouteTable } from './routeTable.js';
import { sleep } from '../testing/until.js';

const MB = 1024 * 1024;
const logger = createLogger('silent');
const TIMEOUTS: EdgeTimeouts = {
  connectMs: 500,
  responseMs: 1000,
  idleMs: 1500,
  keepAliveMs: 5000,
};

/** A route source standing in for the table: host → upstream, null = offline. */
function routesOf(
  map: Record<string, { host: string; port: number } | null>,
): Pick<RouteTable, 'resolve' | 'size'> {
  return {
    size: Object.keys(map).length,
    resolve(header) {
      const host = hostName(header);
      if (!host || !(host in map)) return null;
      const upstream = map[host] ?? null;
      const route: ResolvedRoute = {
        host,
        kind: 'subdomain',
        instance: {
          instanceId: `inst_${host}`,
          subdomain: host.split('.')[0] as string,
          upstream,
        },
        upstream,
      };
      return route;
    },
  };
}

async function listen(server: Server | net.Server, host: string): Promise<number> {
  server.listen(0, host);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(
  edgePort: number,
  host: string,
  opts: {
    method?: string;
    path?: string;
    headers?: http.OutgoingHttpHeaders;
    body?: string | Buffer;
    agent?: http.Agent;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: edgePort,
        method: opts.method ?? 'GET',
        path: opts.path ?? '/',
        headers: { host, ...opts.headers },
        agent: opts.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('built-in edge against local apps on 127.0.0.x', () => {
  let appA: Server;
  let appB: Server;
  let portA: number;
  let portB: number;
  let closedPort: number;
  let edge: BuiltinEdge;
  let trustingEdge: BuiltinEdge;
  const seen: IncomingMessage[] = [];
  const appAConnections = { count: 0 };
  const extraServers: (Server | net.Server)[] = [];
  const children: ChildProcess[] = [];

  const routes: Record<string, { host: string; port: number } | null> = {};

  beforeAll(async () => {
    appA = http.createServer((req, res) => {
      seen.push(req);
      if (req.url === '/echo-headers') return void res.end(JSON.stringify(req.headers));
      if (req.url === '/count') {
        let n = 0;
        const hash = createHash('sha256');
        req.on('data', (c: Buffer) => {
          n += c.length;
          hash.update(c);
        });
        req.on('end', () => res.end(`${n} ${hash.digest('hex')}`));
        return;
      }
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.end(`A ${req.method} ${req.url}`);
    });
    appA.keepAliveTimeout = 10_000;
    appA.on('connection', () => appAConnections.count++);
    appB = http.createServer((req, res) => res.end(`B ${req.url}`));
    portA = await listen(appA, '127.0.0.2');
    portB = await listen(appB, '127.0.0.3');
    // A port with nothing listening: connections are refused.
    const probe = net.createServer();
    closedPort = await listen(probe, '127.0.0.4');
    await new Promise((r) => probe.close(r));

    Object.assign(routes, {
      'a.cloud.test': { host: '127.0.0.2', port: portA },
      'b.cloud.test': { host: '127.0.0.3', port: portB },
      'share.example.test': { host: '127.0.0.2', port: portA },
      'offline.cloud.test': null,
      'refused.cloud.test': { host: '127.0.0.4', port: closedPort },
    });
    const table = routesOf(routes);
    edge = await BuiltinEdge.start({
      host: '127.0.0.1',
      port: 0,
      routes: { size: 0, resolve: (h) => routesOf(routes).resolve(h) },
      timeouts: TIMEOUTS,
      trustProxy: false,
      logger,
    });
    trustingEdge = await BuiltinEdge.start({
      host: '127.0.0.1',
      port: 0,
      routes: table,
      timeouts: TIMEOUTS,
      trustProxy: true,
      logger,
    });
  });

  afterEach(() => {
    seen.length = 0;
  });

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await edge?.close();
    await trustingEdge?.close();
    const servers = [appA, appB, ...extraServers];
    // An app that paused its request never reads the edge's FIN: close its sockets here.
    for (const s of servers) if (s instanceof http.Server) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((r) => s?.close(() => r(null)))));
  });

  /** An app of its own on a fresh 127.0.0.x address, routed at `host`. */
  async function extraApp(host: string, ip: string, server: Server | net.Server) {
    extraServers.push(server);
    const port = await listen(server, ip);
    routes[host] = { host: ip, port };
    return port;
  }

  it('routes each Host to its own app, subdomains and custom domains alike, port and case ignored', async () => {
    expect((await request(edge.port, 'a.cloud.test', { path: '/x?y=1' })).body).toBe(
      'A GET /x?y=1',
    );
    expect((await request(edge.port, 'b.cloud.test', { path: '/z' })).body).toBe('B /z');
    expect((await request(edge.port, 'Share.Example.Test:8080')).body).toBe('A GET /');
  });

  it('keeps Host, sets X-Forwarded-For/-Proto/-Host and replaces values a client made up', async () => {
    const res = await request(edge.port, 'a.cloud.test', {
      path: '/echo-headers',
      headers: {
        'x-forwarded-for': '6.6.6.6',
        'x-forwarded-host': 'evil.test',
        'x-forwarded-proto': 'https',
      },
    });
    const h = JSON.parse(res.body) as Record<string, string>;
    expect(h.host).toBe('a.cloud.test');
    expect(h['x-forwarded-for']).toBe('127.0.0.1');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-host']).toBe('a.cloud.test');
  });

  it('appends to X-Forwarded-* from a trusted proxy in front (RELAY_TRUST_PROXY)', async () => {
    const res = await request(trustingEdge.port, 'a.cloud.test', {
      path: '/echo-headers',
      headers: {
        'x-forwarded-for': '203.0.113.7',
        'x-forwarded-host': 'a.cloud.test',
        'x-forwarded-proto': 'https',
      },
    });
    const h = JSON.parse(res.body) as Record<string, string>;
    expect(h['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(h['x-forwarded-proto']).toBe('https');
  });

  it('drops hop-by-hop request headers, including the ones Connection names', async () => {
    const res = await request(edge.port, 'a.cloud.test', {
      path: '/echo-headers',
      headers: {
        connection: 'keep-alive, x-hop-secret',
        'x-hop-secret': 'drop me',
        'keep-alive': 'timeout=5',
        'proxy-authorization': 'Basic Zm9vOmJhcg==',
        'proxy-connection': 'keep-alive',
        te: 'trailers',
        upgrade: 'h2c',
        'x-end-to-end': 'keep me',
      },
    });
    const h = JSON.parse(res.body) as Record<string, string>;
    for (const gone of [
      'x-hop-secret',
      'keep-alive',
      'proxy-authorization',
      'proxy-connection',
      'te',
      'trailer',
      'upgrade',
    ]) {
      expect(h, gone).not.toHaveProperty(gone);
    }
    expect(h.connection).not.toMatch(/x-hop-secret/);
    expect(h['x-end-to-end']).toBe('keep me');
  });

  it('drops hop-by-hop response headers and keeps repeated end-to-end ones', async () => {
    const raw = net.createServer((s) => {
      s.once('data', () =>
        s.end(
          'HTTP/1.1 200 OK\r\nConnection: close, X-Internal\r\nX-Internal: secret\r\n' +
            'Keep-Alive: timeout=1\r\nProxy-Authenticate: Basic\r\nTrailer: X-Sum\r\n' +
            'Upgrade: h2c\r\nX-App: yes\r\nContent-Length: 2\r\n\r\nok',
        ),
      );
    });
    await extraApp('raw.cloud.test', '127.0.0.5', raw);
    const res = await request(edge.port, 'raw.cloud.test');
    expect(res.body).toBe('ok');
    expect(res.headers['x-app']).toBe('yes');
    for (const gone of ['x-internal', 'keep-alive', 'proxy-authenticate', 'trailer', 'upgrade']) {
      expect(res.headers, gone).not.toHaveProperty(gone);
    }
    const cookies = await request(edge.port, 'a.cloud.test');
    expect(cookies.headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  it('keeps client connections alive and reuses upstream connections', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let clientConnections = 0;
    const countClient = () => clientConnections++;
    agent.on('free', () => {});
    const before = appAConnections.count;
    const sockets = new Set<net.Socket>();
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: edge.port,
            path: `/${i}`,
            headers: { host: 'a.cloud.test' },
            agent,
          },
          (res) => {
            sockets.add(res.socket);
            res.resume();
            res.on('end', resolve);
          },
        );
        req.on('socket', (s) => {
          if (!sockets.has(s)) countClient();
        });
        req.on('error', reject);
        req.end();
      });
    }
    agent.destroy();
    expect(sockets.size).toBe(1);
    expect(clientConnections).toBe(1);
    // The edge's pool reused one upstream connection (at most one more if an earlier test left one).
    expect(appAConnections.count - before).toBeLessThanOrEqual(1);
  });

  it('streams a 256 MB download without buffering it (memory stays flat)', async () => {
    const size = 256 * MB;
    const chunk = Buffer.alloc(64 * 1024, 7);
    const big = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': size });
      let left = size;
      const pump = () => {
        while (left > 0) {
          left -= chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    await extraApp('big.cloud.test', '127.0.0.6', big);
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const received = await new Promise<number>((resolve, reject) => {
      http
        .get(
          { host: '127.0.0.1', port: edge.port, headers: { host: 'big.cloud.test' }, agent: false },
          (res) => {
            let n = 0;
            res.on('data', (c: Buffer) => (n += c.length));
            res.on('end', () => resolve(n));
            res.on('error', reject);
          },
        )
        .on('error', reject);
    });
    clearInterval(sampler);
    expect(received).toBe(size);
    // Client, edge and app share this process and allocate 256 MB of chunks between GCs; a
    // buffering edge would need the whole body (256 MB) at once.
    expect((peak - rssBefore) / MB).toBeLessThan(100);
  });

  it('holds a download back while the client does not read (backpressure reaches the app)', async () => {
    let written = 0;
    const chunk = Buffer.alloc(64 * 1024, 1);
    const endless = http.createServer((_req, res) => {
      const pump = () => {
        while (written < 1024 * MB) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      res.on('close', () => (written = -Math.abs(written)));
    });
    await extraApp('slow.cloud.test', '127.0.0.7', endless);
    const req = http.get({
      host: '127.0.0.1',
      port: edge.port,
      headers: { host: 'slow.cloud.test' },
      agent: false,
    });
    const res = await once(req, 'response').then(([r]) => r as IncomingMessage);
    res.pause();
    await sleep(1000);
    const held = Math.abs(written);
    // Socket buffers on three hops, a few MB at most — far from the 1 GB the app would send.
    expect(held / MB).toBeLessThan(32);
    await sleep(300);
    expect(Math.abs(written)).toBe(held);
    req.destroy();
    // The client left, so the edge closed the app's side too.
    await sleep(300);
    expect(written).toBeLessThanOrEqual(0);
  });

  it('streams a 256 MB chunked upload through intact and holds it back while the app does not read', async () => {
    const size = 256 * MB;
    const chunk = Buffer.alloc(256 * 1024, 3);
    const expected = createHash('sha256');
    for (let i = 0; i < size / chunk.length; i++) expected.update(chunk);
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: edge.port,
          method: 'POST',
          path: '/count',
          headers: { host: 'a.cloud.test', 'transfer-encoding': 'chunked' },
          agent: false,
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      let sent = 0;
      const pump = () => {
        while (sent < size) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    clearInterval(sampler);
    expect(body).toBe(`${size} ${expected.digest('hex')}`);
    expect((peak - rssBefore) / MB).toBeLessThan(100);

    // An app that reads nothing: the client can only push what the buffers hold.
    const stalled = http.createServer((req) => req.pause());
    await extraApp('stalled.cloud.test', '127.0.0.8', stalled);
    const up = http.request({
      host: '127.0.0.1',
      port: edge.port,
      method: 'POST',
      path: '/',
      headers: { host: 'stalled.cloud.test', 'content-length': String(size) },
      agent: false,
    });
    up.on('error', () => {});
    let pushed = 0;
    const push = () => {
      while (pushed < size) {
        pushed += chunk.length;
        if (!up.write(chunk)) return void up.once('drain', push);
      }
    };
    push();
    await sleep(1000);
    expect(pushed / MB).toBeLessThan(40);
    up.destroy();
  });

  it('carries a WebSocket upgrade and echoes messages both ways', async () => {
    const wss = new WebSocketServer({ noServer: true });
    const wsApp = http.createServer((_req, res) => res.end('no'));
    wsApp.on('upgrade', (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.send(`hello ${req.headers['x-forwarded-for']}`);
        ws.on('message', (m) => ws.send(`echo:${m.toString()}`));
      }),
    );
    await extraApp('ws.cloud.test', '127.0.0.9', wsApp);
    const ws = new WebSocket(`ws://127.0.0.1:${edge.port}/socket`, {
      headers: { host: 'ws.cloud.test' },
    });
    const messages: string[] = [];
    ws.on('message', (m) => messages.push(m.toString()));
    await once(ws, 'open');
    ws.send('ping');
    ws.send(Buffer.alloc(200_000, 120).toString());
    while (messages.length < 3) await sleep(20);
    expect(messages[0]).toBe('hello 127.0.0.1');
    expect(messages[1]).toBe('echo:ping');
    expect(messages[2]).toHaveLength(200_005);
    ws.close();
    await once(ws, 'close');
    wss.close();
  });

  it('answers an upgrade for an unknown host with the 404 page and for an offline one with 502', async () => {
    const rawUpgrade = (host: string) =>
      new Promise<string>((resolve) => {
        const s = net.connect(edge.port, '127.0.0.1');
        let got = '';
        s.on('data', (d) => (got += d.toString()));
        s.on('close', () => resolve(got));
        s.write(
          `GET / HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`,
        );
      });
    expect(await rawUpgrade('nope.cloud.test')).toMatch(/^HTTP\/1\.1 404 /);
    expect(await rawUpgrade('offline.cloud.test')).toMatch(/^HTTP\/1\.1 502 [\s\S]*is offline/);
  });

  it('answers an unknown host with a small branded 404 page that escapes the host', async () => {
    const res = await request(edge.port, 'nobody.cloud.test');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['x-cloud-connect-edge']).toBe('unknown-host');
    expect(res.body).toContain('Cloud Connect');
    expect(res.body).toContain('No app is connected at nobody.cloud.test');
    expect(res.body.length).toBeLessThan(2048);
    const weird = await request(edge.port, '<script>.test');
    expect(weird.status).toBe(404);
    expect(weird.body).not.toContain('<script>');
  });

  it('answers an offline instance and a refused connection with the 502 offline page, no stack', async () => {
    for (const host of ['offline.cloud.test', 'refused.cloud.test']) {
      const res = await request(edge.port, host);
      expect(res.status, host).toBe(502);
      expect(res.body).toContain(`The app at ${host} is offline`);
      expect(res.body).not.toMatch(/ECONNREFUSED|at .*\.ts:\d+|Error:/);
    }
    const head = await request(edge.port, 'offline.cloud.test', { method: 'HEAD' });
    expect(head.status).toBe(502);
    expect(head.body).toBe('');
  });

  it('gives up on a connection the tunnel never completes after the connect timeout (502)', async () => {
    // A listener that never accepts: once its one-slot queue is full the kernel drops SYNs.
    const child = spawn('python3', [
      '-c',
      "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.10',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)",
    ]);
    children.push(child);
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const port = Number(line.toString().trim());
    const fillers = [0, 1, 2].map(() => net.connect(port, '127.0.0.10').on('error', () => {}));
    await sleep(200);
    routes['blackhole.cloud.test'] = { host: '127.0.0.10', port };
    const started = Date.now();
    const res = await request(edge.port, 'blackhole.cloud.test');
    const took = Date.now() - started;
    for (const f of fillers) f.destroy();
    child.kill('SIGKILL');
    expect(res.status).toBe(502);
    expect(took).toBeGreaterThanOrEqual(TIMEOUTS.connectMs - 50);
    expect(took).toBeLessThan(TIMEOUTS.connectMs + 1500);
  });

  it('answers 504 when the app accepts but sends no response within the response timeout', async () => {
    const silent = http.createServer(() => {});
    await extraApp('silent.cloud.test', '127.0.0.11', silent);
    const started = Date.now();
    const res = await request(edge.port, 'silent.cloud.test');
    expect(res.status).toBe(504);
    expect(res.body).toContain('did not answer in time');
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUTS.responseMs - 50);
    silent.closeAllConnections();
  });

  it('cuts a response body that stops moving for the idle timeout', async () => {
    const stuck = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    });
    await extraApp('stuck.cloud.test', '127.0.0.12', stuck);
    const started = Date.now();
    const outcome = await new Promise<string>((resolve) => {
      http
        .get(
          {
            host: '127.0.0.1',
            port: edge.port,
            headers: { host: 'stuck.cloud.test' },
            agent: false,
          },
          (res) => {
            res.on('data', () => {});
            res.on('end', () => resolve('complete'));
            res.on('error', () => resolve('cut'));
            res.on('aborted', () => resolve('cut'));
          },
        )
        .on('error', () => resolve('cut'));
    });
    expect(outcome).toBe('cut');
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUTS.idleMs - 50);
    stuck.closeAllConnections();
  });

  it('forwards a body sent with Expect: 100-continue', async () => {
    const res = await request(edge.port, 'a.cloud.test', {
      method: 'POST',
      path: '/count',
      headers: { expect: '100-continue', 'content-length': '5' },
      body: 'hello',
    });
    expect(res.body.split(' ')[0]).toBe('5');
  });

  it('reports its health with the listening address', async () => {
    expect(await edge.health()).toEqual({
      ok: true,
      detail: expect.stringMatching(/^builtin on http:\/\/127\.0\.0\.1:\d+/),
    });
  });
});
