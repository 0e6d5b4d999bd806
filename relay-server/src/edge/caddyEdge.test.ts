import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http, { type Server } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer, type ClientOptions } from 'ws';
import {
  createAccount,
  createInstance,
  rawRequest,
  setPlan,
  startDnsServer,
  startTestRelay,
  type TestAccount,
  type TestDnsServer,
  type TestRelay,
  until,
} from '../testing/index.js';
import { StreamDriver } from '@cloud-connect/agent-core/tunnels';
import { generateKeyPair } from '@cloud-connect/agent-core/wireguard';
import { CaddyAdmin } from './caddyAdmin.js';
import type { CaddyEdge } from './caddyEdge.js';

/**
 * EDGE_MODE=caddy against Debian's real caddy: a tracked `caddy run` with its admin API on a
 * unix socket and its storage in a temp dir, the internal CA as issuer (real certificates,
 * trusted here through the root in its storage), and tunnel IPs from a loopback range where
 * local HTTP servers stand in for agents' forwarders.
 */

const caddyAvailable = spawnSync('caddy', ['version']).status === 0;
if (!caddyAvailable && process.env.CI)
  throw new Error('caddy is not installed (apt-get install caddy)');

/** One route of relay-server's server in Caddy's config, as far as the tests read it. */
interface CaddyRoute {
  match?: { host: string[] }[];
  handle: { handler: string; upstreams?: { dial: string }[] }[];
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe.skipIf(!caddyAvailable)('EDGE_MODE=caddy with a real Caddy', () => {
  let dir: string;
  let caddy: ChildProcess | null = null;
  let caddyLog = '';
  let adminSocket: string;
  let edgePort: number;
  let baseConfig: Record<string, unknown>;
  let t: TestRelay;
  let dns: TestDnsServer;
  let rootCa: Buffer;
  const apps: Server[] = [];
  const drivers: StreamDriver[] = [];
  let seq = 0;

  async function startCaddy() {
    await writeFile(path.join(dir, 'caddy.json'), JSON.stringify(baseConfig));
    const child = spawn('caddy', ['run', '--config', path.join(dir, 'caddy.json')], {
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        XDG_CONFIG_HOME: path.join(dir, 'config'),
        XDG_DATA_HOME: path.join(dir, 'data'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (caddyLog += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (caddyLog += d.toString()));
    caddy = child;
    const admin = new CaddyAdmin(`unix:${adminSocket}`, 1000);
    await until(
      'caddy admin API',
      async () => existsSync(adminSocket) && (await admin.getConfig()),
    );
  }

  async function stopCaddy() {
    const child = caddy;
    caddy = null;
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cc-caddy-'));
    adminSocket = path.join(dir, 'admin.sock');
    edgePort = await freePort();
    baseConfig = {
      admin: { listen: `unix/${adminSocket}`, config: { persist: false } },
      storage: { module: 'file_system', root: path.join(dir, 'storage') },
      logging: { logs: { default: { level: 'WARN' } } },
      apps: {
        // Never touch the system trust store; the test trusts the root from storage instead.
        pki: { certificate_authorities: { local: { install_trust: false } } },
        // The HTTP→HTTPS redirect listener, off the privileged port 80.
        http: { http_port: await freePort() },
      },
    };
    await startCaddy();
    dns = await startDnsServer();
    t = await startTestRelay({
      env: {
        DNS_SERVERS: dns.address,
        TUNNEL_CIDR: '127.78.0.0/16',
        EDGE_MODE: 'caddy',
        EDGE_CADDY_ADMIN: `unix:${adminSocket}`,
        EDGE_CADDY_ISSUER: 'internal',
        EDGE_HOST: '127.0.0.1',
        EDGE_PORT: String(edgePort),
        EDGE_CONNECT_TIMEOUT_MS: '1000',
      },
    });
    rootCa = await readFile(path.join(dir, 'storage/pki/authorities/local/root.crt')).catch(
      async () => {
        // The CA is made on first use; ask Caddy for it.
        const res = await new CaddyAdmin(`unix:${adminSocket}`).request('GET', '/pki/ca/local');
        return Buffer.from((JSON.parse(res.text) as { root_certificate: string }).root_certificate);
      },
    );
  }, 60_000);

  afterAll(async () => {
    for (const d of drivers) await d.stop();
    for (const a of apps) a.closeAllConnections();
    await Promise.all(apps.map((a) => new Promise((r) => a.close(r))));
    await t?.stop();
    await dns?.close();
    await stopCaddy();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 30_000);

  const edge = () => t.relay.edge.proxy as CaddyEdge;

  /**
   * An app on `address` that answers `app <label> <Host> proto=<X-Forwarded-Proto>`, echoes
   * WebSocket messages and records the headers of every request (upgrades included) but
   * `/ready` (the tests' routing probe).
   */
  async function startApp(label: string, address: string) {
    const seen: http.IncomingHttpHeaders[] = [];
    const wss = new WebSocketServer({ noServer: true });
    const app = http.createServer((req, res) => {
      if (req.url !== '/ready') seen.push(req.headers);
      res.end(`app ${label} ${req.headers.host} proto=${req.headers['x-forwarded-proto']}`);
    });
    app.on('upgrade', (req, socket, head) => {
      seen.push(req.headers);
      wss.handleUpgrade(req, socket, head, (ws) =>
        ws.on('message', (m) => ws.send(`echo:${m.toString()}`)),
      );
    });
    app.listen(0, address);
    await once(app, 'listening');
    apps.push(app);
    return { app, seen, port: (app.address() as AddressInfo).port };
  }

  async function onlineInstance() {
    const account = await createAccount(t);
    await setPlan(t, account, 'business');
    const subdomain = `tls${++seq}x${Date.now().toString(36)}`;
    const created = await createInstance(t, account, subdomain);
    const { app, seen, port } = await startApp(subdomain, created.instance.tunnel_ip);
    const token = created.credentials.instance_token;
    await t.api.post(
      '/tunnel/register',
      { public_key: generateKeyPair().publicKey, target_port: port },
      { token },
    );
    await t.api.post('/tunnel/heartbeat', {}, { token });
    await edge().settled();
    const host = `${subdomain}.cloud.test`;
    return { account, id: created.instance.id, subdomain, host, app, seen, port, token };
  }

  /**
   * A real HTTPS request to Caddy with SNI = `servername` (default: host), trusting only Caddy's
   * local root.
   */
  function tlsGet(
    host: string,
    pathname = '/',
    {
      headers = {},
      servername = host,
    }: { headers?: http.OutgoingHttpHeaders; servername?: string } = {},
  ) {
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      https
        .get(
          {
            host: '127.0.0.1',
            port: edgePort,
            servername,
            path: pathname,
            headers: { ...headers, host },
            ca: rootCa,
            agent: false,
            timeout: 10_000,
          },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          },
        )
        .on('error', reject);
    });
  }

  async function addDomain(a: TestAccount, id: string, verify: boolean) {
    const domain = `share${++seq}.example.test`;
    const auth = { token: a.accessToken };
    expect((await t.api.post(`/instances/${id}/domains`, { domain }, auth)).status).toBe(201);
    if (verify) {
      dns.set(domain, 'CNAME', `${id}.tunnel.cloud.test`);
      const v = await t.api.post(`/instances/${id}/domains/${domain}/verify`, undefined, auth);
      expect(v.body.status).toBe('verified');
    }
    await edge().settled();
    return domain;
  }

  /** Wait until a request for `host` is answered by the app labelled `label` (Caddy re-programmed). */
  const routedTo = (host: string, label: string) =>
    until(`${host} answered by ${label}`, async () =>
      (await tlsGet(host, '/ready')).text.startsWith(`app ${label} `),
    );

  /**
   * agent-core's StreamDriver for the instance, to a new app on loopback (no tunnel IP: only a
   * stream session reaches it); resolves once Caddy sends the instance's host there.
   */
  async function onStream(o: { host: string; subdomain: string; token: string }) {
    const label = `stream-${o.subdomain}`;
    const app = await startApp(label, '127.0.0.1');
    const driver = new StreamDriver({
      relayUrl: t.url,
      token: o.token,
      target: `http://127.0.0.1:${app.port}`,
      proxy: null,
    });
    drivers.push(driver);
    await driver.start();
    await routedTo(o.host, label);
    return { ...app, label, driver };
  }

  /** An instance whose agent is on the stream transport only (it never registers a key). */
  async function streamInstance() {
    const account = await createAccount(t);
    const subdomain = `st${++seq}x${Date.now().toString(36)}`;
    const created = await createInstance(t, account, subdomain);
    const o = {
      account,
      id: created.instance.id,
      subdomain,
      host: `${subdomain}.cloud.test`,
      token: created.credentials.instance_token,
    };
    return { ...o, stream: await onStream(o) };
  }

  /** An instance with neither path: created, never connected. */
  async function idleInstance() {
    const account = await createAccount(t);
    const subdomain = `idle${++seq}x${Date.now().toString(36)}`;
    await createInstance(t, account, subdomain);
    await edge().settled();
    return { host: `${subdomain}.cloud.test` };
  }

  /** Open a WebSocket to `host` through Caddy over TLS, send `text`, return the first answer. */
  async function websocketEcho(host: string, text: string) {
    // ws passes TLS options through to tls.connect; its types do not list servername.
    const options: ClientOptions & { servername: string } = {
      headers: { host },
      servername: host,
      ca: rootCa,
    };
    const ws = new WebSocket(`wss://127.0.0.1:${edgePort}/ws`, options);
    try {
      await once(ws, 'open');
      ws.send(text);
      const [msg] = (await once(ws, 'message')) as [Buffer];
      return msg.toString();
    } finally {
      ws.close();
    }
  }

  /** The first handler of relay-server's Caddy route for `host`, as Caddy runs it now. */
  async function caddyHandlerFor(host: string) {
    const { config } = await edge().admin.getConfig();
    const server = (
      config as {
        apps: { http: { servers: Record<string, { routes: CaddyRoute[] }> } };
      }
    ).apps.http.servers.cloudconnect;
    return server?.routes.find((r) => r.match?.[0]?.host.includes(host))?.handle[0];
  }

  const ask = async (domain: string) =>
    (await fetch(`${edge().askUrl}?domain=${encodeURIComponent(domain)}`)).status;

  it('programs its server into Caddy and keeps the operator’s admin and storage settings', async () => {
    const o = await onlineInstance();
    const { config } = await edge().admin.getConfig();
    const c = config as {
      admin: unknown;
      storage: unknown;
      apps: { http: { http_port: number; servers: Record<string, { listen: string[] }> } };
    };
    expect(c.admin).toEqual(baseConfig.admin);
    expect(c.storage).toEqual(baseConfig.storage);
    expect(c.apps.http.http_port).toBe(
      (baseConfig.apps as { http: { http_port: number } }).http.http_port,
    );
    expect(c.apps.http.servers.cloudconnect?.listen).toEqual([`127.0.0.1:${edgePort}`]);
    expect(JSON.stringify(c.apps.http.servers.cloudconnect)).toContain(o.host);
  });

  it('serves a subdomain over real TLS end to end with a certificate from Caddy’s CA', async () => {
    const o = await onlineInstance();
    const res = await tlsGet(o.host, '/hello');
    expect(res.status).toBe(200);
    expect(res.text).toBe(`app ${o.subdomain} ${o.host} proto=https`);
  });

  it('carries a WebSocket through Caddy over TLS', async () => {
    const o = await onlineInstance();
    expect(await websocketEcho(o.host, 'ping')).toBe('echo:ping');
  });

  it('answers ask from the route table: verified domains and existing subdomains only', async () => {
    const o = await onlineInstance();
    const pending = await addDomain(o.account, o.id, false);
    const verified = await addDomain(o.account, o.id, true);
    expect(await ask(o.host)).toBe(200);
    expect(await ask(verified)).toBe(200);
    expect(await ask(pending)).toBe(404);
    expect(await ask('nobody.cloud.test')).toBe(404);
    expect(await ask('example.com')).toBe(404);
    // Not on the public API: the ask listener is internal (loopback, its own port).
    expect(new URL(edge().askUrl).hostname).toBe('127.0.0.1');
    expect((await t.api.get('/edge/tls-ask?domain=' + verified)).status).toBe(404);
  });

  it('gives an unverified domain no certificate: the TLS handshake fails', async () => {
    const o = await onlineInstance();
    const pending = await addDomain(o.account, o.id, false);
    await expect(tlsGet(pending)).rejects.toThrow(/alert|handshake|socket hang up|ECONNRESET/i);
    // Nothing was issued or stored for it, while the subdomain's certificate was.
    expect((await tlsGet(o.host)).status).toBe(200);
    const issued = path.join(dir, 'storage/certificates/local');
    expect(existsSync(path.join(issued, o.host))).toBe(true);
    expect(existsSync(path.join(issued, pending))).toBe(false);
  });

  it('routes a verified custom domain over TLS and turns ssl_status from provisioning to active', async () => {
    const o = await onlineInstance();
    const domain = await addDomain(o.account, o.id, true);
    const list = async () =>
      (
        (await t.api.get(`/instances/${o.id}/domains`, { token: o.account.accessToken })).body
          .domains as { domain: string; ssl_status: string }[]
      ).find((d) => d.domain === domain);
    const first = (await list())?.ssl_status;
    expect(['provisioning', 'active']).toContain(first);
    await until('ssl_status active', async () => (await list())?.ssl_status === 'active');
    const res = await tlsGet(domain);
    expect(res.text).toBe(`app ${o.subdomain} ${domain} proto=https`);
  });

  it('stops serving a deleted domain within a second: no certificate for it any more', async () => {
    const o = await onlineInstance();
    const domain = await addDomain(o.account, o.id, true);
    expect((await tlsGet(domain)).status).toBe(200);
    await t.api.delete(`/instances/${o.id}/domains/${domain}`, { token: o.account.accessToken });
    const start = Date.now();
    // Its route and TLS policy are gone: Caddy refuses the handshake rather than serve a name
    // we no longer route.
    await until(
      'handshake refused after delete',
      () =>
        tlsGet(domain).then(
          () => false,
          (e: Error) => /alert/i.test(e.message),
        ),
      1000,
    );
    expect(Date.now() - start).toBeLessThan(1000);
    expect(await ask(domain)).toBe(404);
    expect((await tlsGet(o.host)).status).toBe(200);
  });

  it('shows the offline page for a disconnected instance and for a tunnel that does not answer', async () => {
    const o = await onlineInstance();
    o.app.closeAllConnections();
    await new Promise((r) => o.app.close(r));
    const unreachable = await tlsGet(o.host);
    expect(unreachable.status).toBe(502);
    expect(unreachable.text).toContain('is offline');

    const p = await onlineInstance();
    const token = (
      await t.api.post(`/instances/${p.id}/regenerate-token`, undefined, {
        token: p.account.accessToken,
      })
    ).body.instance_token as string;
    t.ledger.add(token);
    await edge().settled();
    const offline = await tlsGet(p.host);
    expect(offline.status).toBe(502);
    expect(offline.text).toContain(`The app at ${p.host} is offline`);
  });

  it('notices a restarted Caddy that lost its routes and programs it again', async () => {
    const o = await onlineInstance();
    await stopCaddy();
    await startCaddy();
    const health = await t.api.get('/health');
    expect(health.status).toBe(503);
    expect(health.body.checks.edge.ok).toBe(false);
    await until('edge healthy again', async () => (await t.api.get('/health')).status === 200);
    expect((await tlsGet(o.host)).status).toBe(200);
    expect((await t.api.get('/health')).body.checks.edge.detail).toMatch(
      /^caddy at unix:.*: \d+ hosts on 127\.0\.0\.1:\d+$/,
    );
  });

  describe('instances on the stream transport', () => {
    /** The headers the tests compare: the Host and every forwarding header the app may read. */
    const FORWARDING = [
      'host',
      'x-forwarded-for',
      'x-forwarded-proto',
      'x-forwarded-host',
      'x-forwarded-port',
      'x-real-ip',
      'forwarded',
    ];
    const forwarding = (h: http.IncomingHttpHeaders | undefined) =>
      Object.fromEntries(FORWARDING.map((n) => [n, h?.[n]]));

    it('carries a request through Caddy and a stream session to the app, with the headers the built-in edge sends', async () => {
      const s = await streamInstance();
      // A client's own forwarding headers are lies: Caddy and the listener replace them.
      const forged = '203.0.113.9';
      const res = await tlsGet(s.host, '/hello', {
        headers: {
          'x-forwarded-for': forged,
          'x-forwarded-host': 'elsewhere.test',
          'x-real-ip': forged,
          forwarded: `for=${forged}`,
        },
      });
      expect(res.status).toBe(200);
      expect(res.text).toBe(`app ${s.stream.label} ${s.host} proto=https`);
      // What the built-in edge sends an app, with the client and scheme as Caddy saw them; the
      // loopback hop between Caddy and the listener is not a second proxy.
      expect(forwarding(s.stream.seen.at(-1))).toEqual({
        host: s.host,
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': s.host,
        'x-forwarded-port': '443',
        'x-real-ip': '127.0.0.1',
        forwarded: `for=127.0.0.1;proto=https;host="${s.host}"`,
      });
      // Caddy's upstream for it is the stream listener, on loopback.
      expect(edge().settings.streamListener).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(await caddyHandlerFor(s.host)).toMatchObject({
        handler: 'reverse_proxy',
        upstreams: [{ dial: edge().settings.streamListener }],
      });
    });

    it('carries a WebSocket through Caddy over a stream session', async () => {
      const s = await streamInstance();
      expect(await websocketEcho(s.host, 'over a stream')).toBe('echo:over a stream');
      const upgrade = s.stream.seen.at(-1);
      expect(upgrade?.upgrade).toBe('websocket');
      expect(forwarding(upgrade)).toMatchObject({
        host: s.host,
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-proto': 'https',
      });
    });

    it('shows the offline page once the last session closes, from Caddy’s own route', async () => {
      const s = await streamInstance();
      await s.stream.driver.stop();
      await until(
        'Caddy re-programmed',
        async () => (await caddyHandlerFor(s.host))?.handler === 'static_response',
      );
      const res = await tlsGet(s.host);
      expect(res.status).toBe(502);
      expect(res.text).toContain(`The app at ${s.host} is offline`);
      expect(s.stream.seen).toHaveLength(0);
    });

    it('sends an instance on both paths over its stream session, and over WireGuard again without one', async () => {
      const o = await onlineInstance();
      expect((await tlsGet(o.host)).text).toBe(`app ${o.subdomain} ${o.host} proto=https`);
      const stream = await onStream(o);
      expect((await tlsGet(o.host, '/both')).text).toBe(
        `app ${stream.label} ${o.host} proto=https`,
      );
      await stream.driver.stop();
      // Its last session gone, the relay shows it disconnected until the WireGuard agent's
      // next heartbeat (the two transports are one agent's choice, not two agents).
      await t.api.post('/tunnel/heartbeat', {}, { token: o.token });
      await routedTo(o.host, o.subdomain);
      expect((await tlsGet(o.host, '/wireguard')).text).toBe(
        `app ${o.subdomain} ${o.host} proto=https`,
      );
      expect(stream.seen).toHaveLength(1);
      // The WireGuard path is as before: Caddy's own X-Forwarded-* and the Host.
      expect(forwarding(o.seen.at(-1))).toMatchObject({
        host: o.host,
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': o.host,
      });
    });

    it('never takes a request for another host to a stream session, whatever SNI says', async () => {
      const s = await streamInstance();
      const idle = await idleInstance();
      // SNI names the stream instance, Host an instance with no path at all: Caddy routes by
      // Host, which gets the offline page of that instance and nothing of the other.
      const offline = await tlsGet(idle.host, '/x', { servername: s.host });
      expect(offline.status).toBe(502);
      expect(offline.text).toContain(`The app at ${idle.host} is offline`);
      const unknown = await tlsGet('nobody.cloud.test', '/x', { servername: s.host });
      expect(unknown.status).toBe(404);
      expect(s.stream.seen).toHaveLength(0);
    });

    it('stream listener: serves stream-routed hosts only and dials nothing itself', async () => {
      const s = await streamInstance();
      const o = await onlineInstance();
      const listener = `http://${edge().settings.streamListener}`;
      const send = (head: string) => rawRequest(listener, `${head}\r\nConnection: close\r\n\r\n`);
      expect((await send(`GET /direct HTTP/1.1\r\nHost: ${s.host}`)).status).toBe(200);
      // Online over WireGuard only: the listener never dials its tunnel.
      const wireguardOnly = await send(`GET / HTTP/1.1\r\nHost: ${o.host}`);
      expect(wireguardOnly.status).toBe(502);
      expect(wireguardOnly.text).toContain(`The app at ${o.host} is offline`);
      expect((await send('GET / HTTP/1.1\r\nHost: nobody.cloud.test')).status).toBe(404);
      // An absolute-form target is routed by its own authority, never by the Host beside it.
      const absolute = await send(`GET http://${o.host}/ HTTP/1.1\r\nHost: ${s.host}`);
      expect(absolute.status).toBe(502);
      // Not an open proxy: an address as target or Host names no instance.
      const byAddress = await send(
        `GET http://127.0.0.1:${o.port}/ HTTP/1.1\r\nHost: 127.0.0.1:${o.port}`,
      );
      expect(byAddress.status).toBe(404);
      await expect(
        send(`CONNECT 127.0.0.1:${o.port} HTTP/1.1\r\nHost: 127.0.0.1:${o.port}`),
      ).rejects.toThrow();
      expect(o.seen).toHaveLength(0);
      expect(s.stream.seen.map((h) => h.host)).toEqual([s.host]);
    });

    // Last: it closes the shared edge (the relay's stop closes it again, a no-op).
    it('takes stream routes out of Caddy when the edge closes: sessions end with the relay', async () => {
      const s = await streamInstance();
      const o = await onlineInstance();
      const listener = `http://${edge().settings.streamListener}`;
      await edge().close();
      expect(await caddyHandlerFor(s.host)).toMatchObject({ handler: 'static_response' });
      expect(await caddyHandlerFor(o.host)).toMatchObject({ handler: 'reverse_proxy' });
      await expect(
        rawRequest(listener, `GET / HTTP/1.1\r\nHost: ${s.host}\r\n\r\n`),
      ).rejects.toThrow();
    });
  });
});
