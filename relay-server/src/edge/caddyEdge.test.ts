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
  setPlan,
  startDnsServer,
  startTestRelay,
  type TestAccount,
  type TestDnsServer,
  type TestRelay,
  until,
} from '../testing/index.js';
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
    for (const a of apps) a.closeAllConnections();
    await Promise.all(apps.map((a) => new Promise((r) => a.close(r))));
    await t?.stop();
    await dns?.close();
    await stopCaddy();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 30_000);

  const edge = () => t.relay.edge.proxy as CaddyEdge;

  async function onlineInstance() {
    const account = await createAccount(t);
    await setPlan(t, account, 'business');
    const subdomain = `tls${++seq}x${Date.now().toString(36)}`;
    const created = await createInstance(t, account, subdomain);
    const tunnelIp = created.instance.tunnel_ip;
    const wss = new WebSocketServer({ noServer: true });
    const app = http.createServer((req, res) =>
      res.end(`app ${subdomain} ${req.headers.host} proto=${req.headers['x-forwarded-proto']}`),
    );
    app.on('upgrade', (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) =>
        ws.on('message', (m) => ws.send(`echo:${m.toString()}`)),
      ),
    );
    app.listen(0, tunnelIp);
    await once(app, 'listening');
    apps.push(app);
    const port = (app.address() as AddressInfo).port;
    const token = created.credentials.instance_token;
    await t.api.post(
      '/tunnel/register',
      { public_key: generateKeyPair().publicKey, target_port: port },
      { token },
    );
    await t.api.post('/tunnel/heartbeat', {}, { token });
    await edge().settled();
    return { account, id: created.instance.id, subdomain, host: `${subdomain}.cloud.test`, app };
  }

  /** A real HTTPS request to Caddy with SNI = host, trusting only Caddy's local root. */
  function tlsGet(host: string, pathname = '/') {
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      https
        .get(
          {
            host: '127.0.0.1',
            port: edgePort,
            servername: host,
            path: pathname,
            headers: { host },
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
    // ws passes TLS options through to tls.connect; its types do not list servername.
    const options: ClientOptions & { servername: string } = {
      headers: { host: o.host },
      servername: o.host,
      ca: rootCa,
    };
    const ws = new WebSocket(`wss://127.0.0.1:${edgePort}/ws`, options);
    await once(ws, 'open');
    ws.send('ping');
    const [msg] = (await once(ws, 'message')) as [Buffer];
    expect(msg.toString()).toBe('echo:ping');
    ws.close();
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
});
