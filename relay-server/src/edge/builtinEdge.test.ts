import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { EdgeTimeouts } from '../config/config.js';
import { createLogger } from '../logging/logger.js';
import { BuiltinEdge } from './builtinEdge.js';
import { hostName, type ResolvedRoute, type RouteTable } from './routeTable.js';
import { sleep } from '../testing/until.js';

const MB = 1024 * 1024;

// A full GC on demand (what --expose-gc gives), so memory checks see what is held, not garbage.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/**
 * Runs `transfer` while sampling, every 50 ms and after a full GC, the memory Buffers hold: what
 * the edge keeps, not the chunks it already passed on. Those are garbage V8 frees when it likes:
 * Node 24 lets ~100 MB of dead 64 KB read buffers pile up between collections (Node 20 ~40 MB),
 * with or without the edge in the path, so the process's RSS says nothing about buffering.
 */
async function heldDuring<T>(transfer: () => Promise<T>): Promise<{ result: T; heldMB: number }> {
  collectGarbage();
  const before = process.memoryUsage().arrayBuffers;
  let peak = before;
  const sampler = setInterval(() => {
    collectGarbage();
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }, 50);
  try {
    const result = await transfer();
    return { result, heldMB: (peak - before) / MB };
  } finally {
    clearInterval(sampler);
  }
}
/**
 * The most a streamed 256 MB body may raise this process's array buffers. The app, the edge and
 * the client all run here, so the figure counts three hops' socket buffers plus garbage not yet
 * collected between samples: 16–60 MB seen alone, 71 MB once under the full parallel suite. A
 * buffering edge holds the whole body (256 MB), so half of it still tells the two apart.
 */
const FLAT_MB = 128;
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

/** The request headers the app behind the edge saw for a request to `host` with `headers`. */
async function headersSeen(
  edgePort: number,
  host: string,
  headers?: Record<string, string>,
): Promise<Record<string, string>> {
  const res = await request(edgePort, host, { path: '/echo-headers', headers });
  return JSON.parse(res.body) as Record<string, string>;
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
  let ownFrontEdge: BuiltinEdge;
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
    ownFrontEdge = await BuiltinEdge.start({
      host: '127.0.0.1',
      port: 0,
      routes: table,
      timeouts: TIMEOUTS,
      trustProxy: false,
      ownFront: true,
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
    await ownFrontEdge?.close();
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
    const h = await headersSeen(edge.port, 'a.cloud.test', {
      'x-forwarded-for': '6.6.6.6',
      'x-forwarded-host': 'evil.test',
      'x-forwarded-proto': 'https',
    });
    expect(h.host).toBe('a.cloud.test');
    expect(h['x-forwarded-for']).toBe('127.0.0.1');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-host']).toBe('a.cloud.test');
  });

  it('appends to X-Forwarded-* from a trusted proxy in front (RELAY_TRUST_PROXY)', async () => {
    const h = await headersSeen(trustingEdge.port, 'a.cloud.test', {
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-host': 'a.cloud.test',
      'x-forwarded-proto': 'https',
    });
    expect(h['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(h['x-forwarded-proto']).toBe('https');
  });

  it('behind the relay’s own Caddy (ownFront) takes its X-Forwarded-* as the client’s and adds no hop of its own', async () => {
    // What Caddy sends as the first proxy: the client's address, https, the public Host.
    const h = await headersSeen(ownFrontEdge.port, 'a.cloud.test', {
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'a.cloud.test',
      'x-real-ip': '6.6.6.6',
    });
    expect(h['x-forwarded-for']).toBe('203.0.113.7');
    expect(h['x-real-ip']).toBe('203.0.113.7');
    expect(h['x-forwarded-port']).toBe('443');
    expect(h.forwarded).toBe('for=203.0.113.7;proto=https;host="a.cloud.test"');
    // A request without them (not from Caddy) names its peer; the scheme is Caddy's https.
    const b = await headersSeen(ownFrontEdge.port, 'a.cloud.test');
    expect(b['x-forwarded-for']).toBe('127.0.0.1');
    expect(b.forwarded).toBe('for=127.0.0.1;proto=https;host="a.cloud.test"');
  });

  it('sets Forwarded, X-Real-IP and X-Forwarded-Port itself and drops every other forwarding header a client sends', async () => {
    const forged = {
      forwarded: 'for=6.6.6.6;host=evil.test;proto=https',
      'x-real-ip': '6.6.6.6',
      'x-forwarded-port': '443',
      'x-forwarded-ssl': 'on',
      'x-forwarded-prefix': '/admin',
      'x-forwarded-server': 'evil.test',
      'x-original-url': '/admin',
      'true-client-ip': '6.6.6.6',
      // CGI-style servers read X_Forwarded_For as X-Forwarded-For.
      x_forwarded_for: '6.6.6.6',
      x_real_ip: '6.6.6.6',
    };
    const h = await headersSeen(edge.port, 'a.cloud.test:8080', forged);
    expect(h.forwarded).toBe('for=127.0.0.1;proto=http;host="a.cloud.test:8080"');
    expect(h['x-real-ip']).toBe('127.0.0.1');
    expect(h['x-forwarded-for']).toBe('127.0.0.1');
    expect(h['x-forwarded-port']).toBe('8080');
    for (const gone of [
      'x-forwarded-ssl',
      'x-forwarded-prefix',
      'x-forwarded-server',
      'x-original-url',
      'true-client-ip',
      'x_forwarded_for',
      'x_real_ip',
    ]) {
      expect(h, gone).not.toHaveProperty(gone);
    }
    expect((await headersSeen(edge.port, 'a.cloud.test'))['x-forwarded-port']).toBe('80');
  });

  it('behind a trusted proxy (RELAY_TRUST_PROXY) keeps only X-Forwarded-For/-Proto/-Host, derives the rest from them and drops the other forwarding headers a client slipped past it', async () => {
    // What Caddy or nginx in front sends: its own X-Forwarded-For/-Proto/-Host (nginx appends
    // to the client's X-Forwarded-For), and everything else the client sent, untouched.
    const h = await headersSeen(trustingEdge.port, 'a.cloud.test', {
      'x-forwarded-for': '6.6.6.6, 203.0.113.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'a.cloud.test',
      forwarded: 'for=6.6.6.6;proto=https;host=evil.test',
      'x-real-ip': '6.6.6.6',
      'x-forwarded-port': '8443',
      'x-forwarded-ssl': 'on',
      'x-forwarded-prefix': '/admin',
      'x-forwarded-server': 'evil.test',
      'x-original-url': '/admin',
      'x-rewrite-url': '/admin',
      'true-client-ip': '6.6.6.6',
      'x-client-ip': '6.6.6.6',
      x_forwarded_for: '6.6.6.6',
      x_real_ip: '6.6.6.6',
    });
    expect(h['x-forwarded-for']).toBe('6.6.6.6, 203.0.113.7, 127.0.0.1');
    expect(h['x-forwarded-proto']).toBe('https');
    expect(h['x-forwarded-host']).toBe('a.cloud.test');
    // The client as the proxy saw it: the last address the proxy put in X-Forwarded-For.
    expect(h['x-real-ip']).toBe('203.0.113.7');
    expect(h['x-forwarded-port']).toBe('443');
    expect(h.forwarded).toBe('for=203.0.113.7;proto=https;host="a.cloud.test", for=127.0.0.1');
    for (const gone of [
      'x-forwarded-ssl',
      'x-forwarded-prefix',
      'x-forwarded-server',
      'x-original-url',
      'x-rewrite-url',
      'true-client-ip',
      'x-client-ip',
      'x_forwarded_for',
      'x_real_ip',
    ]) {
      expect(h, gone).not.toHaveProperty(gone);
    }

    // Values that are not an address or a scheme never reach Forwarded's syntax.
    const o = await headersSeen(trustingEdge.port, 'a.cloud.test', {
      'x-forwarded-for': 'x;host=evil.test',
      'x-forwarded-proto': 'https;by=evil',
    });
    expect(o['x-real-ip']).toBe('127.0.0.1');
    expect(o['x-forwarded-proto']).toBe('http');
    expect(o.forwarded).toBe('for=127.0.0.1;proto=http;host="a.cloud.test"');

    const b = await headersSeen(trustingEdge.port, 'a.cloud.test');
    expect(b['x-real-ip']).toBe('127.0.0.1');
    expect(b['x-forwarded-port']).toBe('80');
    expect(b.forwarded).toBe('for=127.0.0.1;proto=http;host="a.cloud.test"');
  });

  it('drops hop-by-hop request headers, including the ones Connection names', async () => {
    const h = await headersSeen(edge.port, 'a.cloud.test', {
      connection: 'keep-alive, x-hop-secret',
      'x-hop-secret': 'drop me',
      'keep-alive': 'timeout=5',
      'proxy-authorization': 'Basic Zm9vOmJhcg==',
      'proxy-connection': 'keep-alive',
      te: 'trailers',
      upgrade: 'h2c',
      'x-end-to-end': 'keep me',
    });
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
    const { result: received, heldMB } = await heldDuring(
      () =>
        new Promise<number>((resolve, reject) => {
          http
            .get(
              {
                host: '127.0.0.1',
                port: edge.port,
                headers: { host: 'big.cloud.test' },
                agent: false,
              },
              (res) => {
                let n = 0;
                res.on('data', (c: Buffer) => (n += c.length));
                res.on('end', () => resolve(n));
                res.on('error', reject);
              },
            )
            .on('error', reject);
        }),
    );
    expect(received).toBe(size);
    expect(heldMB).toBeLessThan(FLAT_MB);
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
    const { result: body, heldMB } = await heldDuring(
      () =>
        new Promise<string>((resolve, reject) => {
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
        }),
    );
    expect(body).toBe(`${size} ${expected.digest('hex')}`);
    expect(heldMB).toBeLessThan(FLAT_MB);

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

interface RawResponse {
  status: number;
  head: string;
  body: string;
}

/**
 * Write crafted bytes to the edge on a raw socket and read its answers with a minimal parser
 * (status line, headers, Content-Length body): resolves once `want` responses arrived or the
 * edge closed the connection, and tells whether it did.
 */
function rawExchange(
  port: number,
  bytes: string,
  {
    want = 1,
    bodiless = false,
    onData,
  }: {
    want?: number;
    bodiless?: boolean;
    onData?: (text: string, socket: net.Socket) => void;
  } = {},
): Promise<{ responses: RawResponse[]; closed: boolean; text: string }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let text = '';
    const responses: RawResponse[] = [];
    let rest = '';
    const finish = (closed: boolean) => {
      s.destroy();
      resolve({ responses, closed, text });
    };
    s.on('data', (d: Buffer) => {
      const chunk = d.toString('latin1');
      text += chunk;
      rest += chunk;
      for (;;) {
        const end = rest.indexOf('\r\n\r\n');
        if (end === -1) break;
        const head = rest.slice(0, end);
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
        const length =
          bodiless || status === 101
            ? 0
            : Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (rest.length < end + 4 + length) break;
        responses.push({ status, head, body: rest.slice(end + 4, end + 4 + length) });
        rest = rest.slice(end + 4 + length);
      }
      onData?.(text, s);
      if (responses.length >= want) finish(false);
    });
    s.on('error', () => {});
    s.on('close', () => finish(true));
    s.write(bytes, 'latin1');
  });
}

/** A request as the app parsed it. */
interface Parsed {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

describe('built-in edge: the edge owns message framing (raw sockets, pooled keep-alive app)', () => {
  let app: Server;
  let holding: Server;
  let wsApp: Server;
  let edge: BuiltinEdge;
  const parsed: Parsed[] = [];
  const upgrades: Parsed[] = [];
  const held: ServerResponse[] = [];
  const upgradedSockets: net.Socket[] = [];
  const HOST = 'app.cloud.test';
  /** A request that is whole by itself and would show up at the app if smuggled through. */
  const SMUGGLED =
    'GET /smuggled HTTP/1.1\r\nHost: evil.test\r\nX-Forwarded-For: 6.6.6.6\r\nContent-Length: 0\r\n\r\n';

  beforeAll(async () => {
    // Node's own parser at the app, keep-alive, counting every request it parses.
    app = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        parsed.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          rawHeaders: req.rawHeaders,
          body: Buffer.concat(chunks).toString('latin1'),
        });
        res.end(`parsed ${parsed.length}`);
      });
    });
    app.keepAliveTimeout = 30_000;
    holding = http.createServer((req, res) => {
      held.push(res);
      if (req.url === '/started') {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
      }
    });
    wsApp = http.createServer((_req, res) => res.end('no upgrade'));
    wsApp.on('upgrade', (req: IncomingMessage, socket: net.Socket, head: Buffer) => {
      upgrades.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: head.toString('latin1'),
      });
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n',
      );
      upgradedSockets.push(socket);
      socket.on('data', (d: Buffer) => socket.write(d));
      socket.on('end', () => socket.end());
      socket.on('error', () => {});
    });
    const appPort = await listen(app, '127.0.0.20');
    const holdPort = await listen(holding, '127.0.0.21');
    const wsPort = await listen(wsApp, '127.0.0.22');
    edge = await BuiltinEdge.start({
      host: '127.0.0.1',
      port: 0,
      routes: routesOf({
        [HOST]: { host: '127.0.0.20', port: appPort },
        'hold.cloud.test': { host: '127.0.0.21', port: holdPort },
        'ws.cloud.test': { host: '127.0.0.22', port: wsPort },
      }),
      timeouts: TIMEOUTS,
      trustProxy: false,
      logger,
      // Short, so the header-timeout test does not wait Node's minute.
      headersTimeoutMs: 400,
      // appSaw's marker must find the upstream connection the request used still pooled.
      poolIdleMs: 30_000,
    });
  });

  afterAll(async () => {
    for (const s of [...held, ...upgradedSockets]) s.destroy();
    await edge?.close();
    for (const s of [app, holding, wsApp]) s?.closeAllConnections();
    await Promise.all([app, holding, wsApp].map((s) => new Promise((r) => s?.close(r))));
  });

  /**
   * Every request the app parsed since the last call, not counting a marker request sent now
   * through the edge: the edge's pool is LIFO, so the marker travels on the upstream
   * connection the request under test used last, behind anything smuggled onto it.
   */
  async function appSaw(): Promise<Parsed[]> {
    await request(edge.port, HOST, { path: '/marker' });
    const seen = parsed.filter((p) => p.url !== '/marker');
    parsed.length = 0;
    return seen;
  }

  const frame = (body: string) => `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;

  it.each(['GET', 'HEAD', 'OPTIONS', 'DELETE', 'POST'])(
    'sends the body of a %s with `Connection: content-length` framed: the app parses one request',
    async (method) => {
      const { responses } = await rawExchange(
        edge.port,
        `${method} /first HTTP/1.1\r\nHost: ${HOST}\r\nConnection: content-length\r\n` +
          `Content-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
        { bodiless: method === 'HEAD' },
      );
      expect(responses.map((r) => r.status)).toEqual([200]);
      const seen = await appSaw();
      expect(seen.map((p) => [p.method, p.url, p.body])).toEqual([[method, '/first', SMUGGLED]]);
      expect(seen[0]?.headers['content-length']).toBe(String(SMUGGLED.length));
    },
  );

  it('sends a chunked body with `Connection: transfer-encoding, content-length, host` framed, also on GET', async () => {
    for (const method of ['GET', 'POST']) {
      const { responses } = await rawExchange(
        edge.port,
        `${method} /chunked HTTP/1.1\r\nHost: ${HOST}\r\n` +
          'Connection: transfer-encoding, content-length, host, x-forwarded-for\r\n' +
          `Transfer-Encoding: chunked\r\n\r\n${frame(SMUGGLED)}`,
      );
      expect(responses.map((r) => r.status)).toEqual([200]);
      const seen = await appSaw();
      expect(seen.map((p) => [p.method, p.url, p.body])).toEqual([[method, '/chunked', SMUGGLED]]);
      expect(seen[0]?.headers.host).toBe(HOST);
      expect(seen[0]?.headers['x-forwarded-for']).toBe('127.0.0.1');
    }
  });

  it('accepts the transfer-coding spellings llhttp reads as plain chunked and frames them itself', async () => {
    for (const te of [' chunked', '\tchunked', 'CHUNKED']) {
      const { responses } = await rawExchange(
        edge.port,
        `POST /te HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding:${te}\r\n\r\n${frame(SMUGGLED)}`,
      );
      expect(
        responses.map((r) => r.status),
        JSON.stringify(te),
      ).toEqual([200]);
      const seen = await appSaw();
      expect(seen.map((p) => p.body)).toEqual([SMUGGLED]);
      expect(seen[0]?.headers['transfer-encoding']).toBe('chunked');
    }
  });

  it('forwards a Content-Length with leading zeros as the plain length it framed the body by', async () => {
    await rawExchange(
      edge.port,
      `POST /zeros HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 005\r\n\r\nhello`,
    );
    const [seen] = await appSaw();
    expect([seen?.url, seen?.body, seen?.headers['content-length']]).toEqual([
      '/zeros',
      'hello',
      '5',
    ]);
  });

  it('forwards a bodiless request with no framing headers', async () => {
    await rawExchange(
      edge.port,
      `GET /nobody HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 0\r\n\r\n`,
    );
    const [seen] = await appSaw();
    expect(seen?.url).toBe('/nobody');
    expect(seen?.headers).not.toHaveProperty('content-length');
    expect(seen?.headers).not.toHaveProperty('transfer-encoding');
  });

  // Each of these is a way to make two parsers disagree on where a request ends.
  const ambiguous: Record<string, string> = {
    'Content-Length with Transfer-Encoding': `POST / HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    'Transfer-Encoding with Content-Length': `POST / HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    'two equal Content-Lengths': `POST / HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello${SMUGGLED}`,
    'two different Content-Lengths': `POST / HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 0\r\nContent-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
    'a Content-Length list': `POST / HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5, 5\r\n\r\nhello`,
    'a signed Content-Length': `POST / HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: +5\r\n\r\nhello`,
    'Transfer-Encoding: xchunked': `POST / HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    'Transfer-Encoding: chunked, identity': `POST / HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    'Transfer-Encoding: gzip, chunked': `POST / HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`,
    'two Transfer-Encoding headers': `POST / HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    'a space before the colon': `POST / HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    'obs-fold': `GET / HTTP/1.1\r\nHost: ${HOST}\r\nX-A: b\r\n c\r\n\r\n`,
    'obs-fold of Transfer-Encoding': `POST / HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: identity\r\n chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`,
    'bare LF line ends': `GET / HTTP/1.1\nHost: ${HOST}\n\n`,
    'a bare LF after a header': `GET / HTTP/1.1\r\nHost: ${HOST}\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    'a bare CR after a header': `GET / HTTP/1.1\r\nHost: ${HOST}\rX-A: b\r\n\r\n`,
    'an HTTP/1.1 request with no Host header': 'GET / HTTP/1.1\r\n\r\n',
    'two Host headers': `GET / HTTP/1.1\r\nHost: ${HOST}\r\nHost: evil.test\r\n\r\n`,
    'two Host headers, one lowercase': `GET / HTTP/1.1\r\nhost: ${HOST}\r\nHOST: ${HOST}\r\n\r\n`,
    'an absolute-form target with no Host header': `GET http://${HOST}/ HTTP/1.1\r\n\r\n`,
    'userinfo in an absolute-form target': `GET http://user@${HOST}/ HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`,
  };

  it.each(Object.entries(ambiguous))(
    'answers %s with 400 and sends the app nothing',
    async (_name, bytes) => {
      const { responses, closed } = await rawExchange(edge.port, bytes);
      expect(responses.map((r) => r.status)).toEqual([400]);
      expect(closed || /\r\nconnection: close/i.test(responses[0]?.head ?? '')).toBe(true);
      expect(await appSaw()).toEqual([]);
    },
  );

  it('aborts a request whose chunked body turns out malformed: the connection closes, the app parses no request', async () => {
    // The head was fine, so the request is on its way to the app when the bad chunk arrives;
    // its response is in flight, so no 400 is written: both ends are cut instead.
    const { responses, closed } = await rawExchange(
      edge.port,
      `POST / HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\n\r\n${SMUGGLED}`,
    );
    expect(responses).toEqual([]);
    expect(closed).toBe(true);
    expect(await appSaw()).toEqual([]);
  });

  it('routes an HTTP/1.0 request without Host to the unknown-host page, not an app', async () => {
    const { responses } = await rawExchange(edge.port, 'GET / HTTP/1.0\r\n\r\n');
    expect(responses.map((r) => r.status)).toEqual([404]);
    expect(await appSaw()).toEqual([]);
  });

  it('keeps the public Host when Connection names it', async () => {
    await rawExchange(edge.port, `GET /host HTTP/1.1\r\nHost: ${HOST}\r\nConnection: host\r\n\r\n`);
    const [seen] = await appSaw();
    expect(seen?.headers.host).toBe(HOST);
    expect(seen?.headers['x-forwarded-host']).toBe(HOST);
  });

  it('routes an absolute-form target by its authority and forwards it in origin-form', async () => {
    for (const [target, path] of [
      [`http://${HOST}/x?y=1`, '/x?y=1'],
      [`http://${HOST.toUpperCase()}:8080?q`, '/?q'],
      [`https://${HOST}`, '/'],
    ] as const) {
      const { responses } = await rawExchange(
        edge.port,
        `GET ${target} HTTP/1.1\r\nHost: somewhere-else.test\r\n\r\n`,
      );
      expect(
        responses.map((r) => r.status),
        target,
      ).toEqual([200]);
      const [seen] = await appSaw();
      expect(seen?.url).toBe(path);
      expect(seen?.headers.host).toBe(target.replace(/^https?:\/\//, '').replace(/[/?].*$/, ''));
    }
  });

  it('answers headers larger than Node allows with 431 and headers that never finish with 408', async () => {
    const big = await rawExchange(
      edge.port,
      `GET / HTTP/1.1\r\nHost: ${HOST}\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`,
    );
    expect(big.responses.map((r) => r.status)).toEqual([431]);
    expect(big.responses[0]?.body).toContain(
      'The request headers are too large; send fewer or shorter ones.',
    );
    // Half a request, then silence: the configured 400 ms header timeout answers, not a minute.
    const slow = await rawExchange(edge.port, `GET / HTTP/1.1\r\nHost: ${HOST}\r\nX-A: b`);
    expect(slow.responses.map((r) => r.status)).toEqual([408]);
    expect(slow.responses[0]?.body).toContain(
      'The request headers did not arrive in time; send it again.',
    );
    expect(slow.responses[0]?.head).toMatch(/\r\nconnection: close/i);
    expect(await appSaw()).toEqual([]);
  });

  it('never writes an error answer into a response that is already under way: it closes instead', async () => {
    // The app has sent headers and part of a body; a pipelined request after it is garbage.
    let sent = false;
    const started = await rawExchange(
      edge.port,
      'GET /started HTTP/1.1\r\nHost: hold.cloud.test\r\n\r\n',
      {
        want: 2,
        onData: (text, s) => {
          if (!sent && text.includes('partial')) {
            sent = true;
            s.write('GET / HTTP/1.1\r\nHost: hold.cloud.test\r\nX-A: b\r\n c\r\n\r\n');
          }
        },
      },
    );
    expect(sent).toBe(true);
    expect(started.closed).toBe(true);
    expect(started.text).not.toMatch(/ 400 /);
    // The app has not answered yet; a 400 now would be read as the answer to the first request.
    const queued = await rawExchange(
      edge.port,
      'GET /later HTTP/1.1\r\nHost: hold.cloud.test\r\n\r\nGET / HTTP/1.1\r\nHost: hold.cloud.test\r\nX-A: b\r\n c\r\n\r\n',
    );
    expect(queued.closed).toBe(true);
    expect(queued.text).toBe('');
  });

  it('applies the same rules to an upgrade: public Host, no framing headers, forwarding headers its own', async () => {
    const { responses } = await rawExchange(
      edge.port,
      'GET /socket HTTP/1.1\r\nHost: ws.cloud.test\r\nConnection: upgrade, host, content-length\r\n' +
        'Upgrade: test\r\nContent-Length: 5\r\nX-Forwarded-For: 6.6.6.6\r\nX-Real-IP: 6.6.6.6\r\n' +
        'Forwarded: for=6.6.6.6\r\n\r\nhello',
    );
    expect(responses.map((r) => r.status)).toEqual([101]);
    const seen = upgrades.splice(0);
    expect(seen).toHaveLength(1);
    const h = seen[0]?.headers ?? {};
    expect(h.host).toBe('ws.cloud.test');
    expect(h).not.toHaveProperty('content-length');
    expect(h).not.toHaveProperty('transfer-encoding');
    expect(h['x-forwarded-for']).toBe('127.0.0.1');
    expect(h['x-real-ip']).toBe('127.0.0.1');
    expect(h.forwarded).toBe('for=127.0.0.1;proto=http;host="ws.cloud.test"');

    const absolute = await rawExchange(
      edge.port,
      'GET http://ws.cloud.test/abs?x HTTP/1.1\r\nHost: elsewhere.test\r\nConnection: upgrade\r\nUpgrade: test\r\n\r\n',
    );
    expect(absolute.responses.map((r) => r.status)).toEqual([101]);
    const [abs] = upgrades.splice(0);
    expect(abs?.url).toBe('/abs?x');
    expect(abs?.headers.host).toBe('ws.cloud.test');

    const twoHosts = await rawExchange(
      edge.port,
      'GET / HTTP/1.1\r\nHost: ws.cloud.test\r\nHost: evil.test\r\nConnection: upgrade\r\nUpgrade: test\r\n\r\n',
    );
    expect(twoHosts.responses.map((r) => r.status)).toEqual([400]);
    expect(upgrades).toHaveLength(0);
  });
});

describe('built-in edge: retries on a pooled connection the app closed', () => {
  let app: Server;
  let edge: BuiltinEdge;
  const received: string[] = [];

  beforeAll(async () => {
    // Keep-alive app that takes in every request and, for /drop, closes the connection
    // without answering: to the edge that looks like a pooled socket the app had closed.
    app = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received.push(`${req.method} ${req.url}`);
        if (req.url === '/drop') req.socket.destroy();
        else res.end('ok');
      });
    });
    app.keepAliveTimeout = 30_000;
    const port = await listen(app, '127.0.0.24');
    edge = await BuiltinEdge.start({
      host: '127.0.0.1',
      port: 0,
      routes: routesOf({ 'retry.cloud.test': { host: '127.0.0.24', port } }),
      timeouts: TIMEOUTS,
      trustProxy: false,
      logger,
      // These tests need the warmed connection still pooled however slow the machine is.
      poolIdleMs: 30_000,
    });
  });

  afterAll(async () => {
    await edge?.close();
    app?.closeAllConnections();
    await new Promise((r) => app?.close(r));
  });

  afterEach(() => {
    received.length = 0;
  });

  // RFC 9110 §9.2.2: a proxy must not retry a non-idempotent request by itself; the app may
  // have acted on it before the connection went, and issue 8 wants one request at the app
  // per client request.
  it.each(['POST', 'PATCH'])(
    'never sends a %s twice when the pooled connection fails: the client gets 502, the app one request',
    async (method) => {
      await request(edge.port, 'retry.cloud.test', { path: '/warm' });
      const res = await request(edge.port, 'retry.cloud.test', { method, path: '/drop' });
      expect(res.status).toBe(502);
      expect(received).toEqual(['GET /warm', `${method} /drop`]);
    },
  );

  it('sends an idempotent bodiless request again on a fresh connection', async () => {
    await request(edge.port, 'retry.cloud.test', { path: '/warm' });
    const res = await request(edge.port, 'retry.cloud.test', { method: 'DELETE', path: '/drop' });
    // Retried once on a new connection, which the app drops too: then the 502 page.
    expect(res.status).toBe(502);
    expect(received).toEqual(['GET /warm', 'DELETE /drop', 'DELETE /drop']);
  });
});
