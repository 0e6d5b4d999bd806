import { once } from 'node:events';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import {
  builtinEdgeEnv,
  builtinEdgeUrl,
  createAccount,
  createInstance,
  setPlan,
  type TestAccount,
  until,
} from '../testing/index.js';
import { useDnsRelay } from '../testing/relayFixtures.js';
import { generateKeyPair } from '@cloud-connect/agent-core/wireguard';

/**
 * The edge inside a real relay: TUNNEL_CIDR is a loopback range, so each instance's tunnel IP
 * is a 127.77.x.y address where a local HTTP server stands in for the agent's forwarder.
 */

const ctx = useDnsRelay({
  env: { ...builtinEdgeEnv('127.77.0.0/16'), DOMAIN_REVERIFY_INTERVAL_S: '1' },
});
const edgeUrl = () => builtinEdgeUrl(ctx.t);
const apps: Server[] = [];
let seq = 0;
const stamp = Date.now().toString(36);

afterAll(async () => {
  for (const a of apps) a.closeAllConnections();
  await Promise.all(apps.map((a) => new Promise((r) => a.close(r))));
});

interface Online {
  account: TestAccount;
  id: string;
  subdomain: string;
  host: string;
  tunnelIp: string;
  token: string;
  port: number;
}

/** An instance with its "forwarder" listening on its tunnel IP, registered and heartbeating. */
async function onlineInstance(plan: 'free' | 'pro' = 'pro'): Promise<Online> {
  const account = await createAccount(ctx.t);
  if (plan !== 'free') await setPlan(ctx.t, account, plan);
  const subdomain = `edge${++seq}x${stamp}`;
  const created = await createInstance(ctx.t, account, subdomain);
  const tunnelIp = created.instance.tunnel_ip;
  const app = http.createServer((req, res) =>
    res.end(`app ${subdomain} ${req.headers.host} ${req.url}`),
  );
  app.listen(0, tunnelIp);
  await once(app, 'listening');
  apps.push(app);
  const port = (app.address() as AddressInfo).port;
  const token = created.credentials.instance_token;
  const reg = await ctx.t.api.post(
    '/tunnel/register',
    { public_key: generateKeyPair().publicKey, target_port: port },
    { token },
  );
  expect(reg.status).toBe(200);
  expect((await ctx.t.api.post('/tunnel/heartbeat', {}, { token })).status).toBe(200);
  // The route table applies events in order, asynchronously (a new tunnel IP's route is
  // looked up with `ip`): requests sent now must find the instance online.
  await ctx.t.relay.edge.routes.settled();
  return {
    account,
    id: created.instance.id,
    subdomain,
    host: `${subdomain}.cloud.test`,
    tunnelIp,
    token,
    port,
  };
}

/** GET through the edge with this Host (fetch cannot set Host, so plain http). */
function get(host: string, path = '/') {
  return new Promise<{ status: number; text: string; edge: string | undefined }>(
    (resolve, reject) => {
      const u = new URL(edgeUrl());
      http
        .get({ host: u.hostname, port: u.port, path, headers: { host }, agent: false }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              text,
              edge: res.headers['x-cloud-connect-edge'] as string | undefined,
            }),
          );
        })
        .on('error', reject);
    },
  );
}

/** Poll until `fn` holds; resolves with the time it took. */
async function within(ms: number, fn: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  await until(`a change within ${ms} ms`, fn, ms, 10);
  return Date.now() - start;
}

async function verifiedDomain(o: Online, label = 'share') {
  const domain = `${label}.ex${++seq}${stamp}.test`;
  const auth = { token: o.account.accessToken };
  expect((await ctx.t.api.post(`/instances/${o.id}/domains`, { domain }, auth)).status).toBe(201);
  ctx.dns.set(domain, 'CNAME', `${o.id}.tunnel.cloud.test`);
  const v = await ctx.t.api.post(`/instances/${o.id}/domains/${domain}/verify`, undefined, auth);
  expect(v.body.status).toBe('verified');
  return domain;
}

describe('edge in the relay (EDGE_MODE=builtin)', () => {
  it('routes <subdomain>.<base> to the tunnel IP and the port the agent registered', async () => {
    const o = await onlineInstance('free');
    const res = await get(o.host, '/path?q=1');
    expect(res.status).toBe(200);
    expect(res.text).toBe(`app ${o.subdomain} ${o.host} /path?q=1`);
  });

  it('shows the offline page for an instance that never registered, and 404 for no instance', async () => {
    const account = await createAccount(ctx.t);
    const sub = `pend${++seq}x${stamp}`;
    await createInstance(ctx.t, account, sub);
    const pending = await get(`${sub}.cloud.test`);
    expect(pending.status).toBe(502);
    expect(pending.text).toContain('is offline');
    const none = await get(`nobody${stamp}.cloud.test`);
    expect(none.status).toBe(404);
    expect(none.edge).toBe('unknown-host');
  });

  it('goes offline at once when the agent disconnects and routes again on its next heartbeat', async () => {
    const o = await onlineInstance();
    expect((await ctx.t.api.post('/tunnel/disconnect', undefined, { token: o.token })).status).toBe(
      200,
    );
    await ctx.t.relay.edge.routes.settled();
    expect((await get(o.host)).status).toBe(502);
    await ctx.t.api.post('/tunnel/heartbeat', {}, { token: o.token });
    await ctx.t.relay.edge.routes.settled();
    expect((await get(o.host)).status).toBe(200);
  });

  it('shows the offline page when the tunnel does not answer (the forwarder is gone)', async () => {
    const o = await onlineInstance();
    const app = apps.find((a) => (a.address() as AddressInfo).port === o.port)!;
    app.closeAllConnections();
    await new Promise((r) => app.close(r));
    const res = await get(o.host);
    expect(res.status).toBe(502);
    expect(res.text).toContain(`The app at ${o.host} is offline`);
  });

  it('routes a verified custom domain, and stops within a second of deleting it', async () => {
    const o = await onlineInstance();
    const domain = `share.ex${++seq}${stamp}.test`;
    const auth = { token: o.account.accessToken };
    await ctx.t.api.post(`/instances/${o.id}/domains`, { domain }, auth);
    // Added but not verified: no route.
    expect((await get(domain)).status).toBe(404);
    ctx.dns.set(domain, 'CNAME', `${o.id}.tunnel.cloud.test`);
    await ctx.t.api.post(`/instances/${o.id}/domains/${domain}/verify`, undefined, auth);
    await within(1000, async () => (await get(domain)).status === 200);
    expect((await get(domain)).text).toBe(`app ${o.subdomain} ${domain} /`);

    expect((await ctx.t.api.delete(`/instances/${o.id}/domains/${domain}`, auth)).status).toBe(204);
    const took = await within(1000, async () => (await get(domain)).status === 404);
    expect(took).toBeLessThan(1000);
    expect((await get(o.host)).status).toBe(200);
  });

  it('stops routing the subdomain and every domain within a second of deleting the instance', async () => {
    const o = await onlineInstance();
    const domain = await verifiedDomain(o);
    expect((await get(domain)).status).toBe(200);
    const res = await ctx.t.api.delete(`/instances/${o.id}`, { token: o.account.accessToken });
    expect(res.status).toBe(204);
    const took = await within(1000, async () => (await get(o.host)).status === 404);
    expect(took).toBeLessThan(1000);
    expect((await get(domain)).status).toBe(404);
  });

  it('follows a subdomain change: the old name 404s, the new one routes', async () => {
    const o = await onlineInstance();
    const next = `moved${++seq}x${stamp}`;
    const res = await ctx.t.api.patch(
      `/instances/${o.id}`,
      { subdomain: next },
      { token: o.account.accessToken },
    );
    expect(res.status).toBe(200);
    await ctx.t.relay.edge.routes.settled();
    expect((await get(o.host)).status).toBe(404);
    expect((await get(`${next}.cloud.test`)).status).toBe(200);
  });

  it('goes offline when the instance token is regenerated (the peer is removed)', async () => {
    const o = await onlineInstance();
    await ctx.t.api.post(`/instances/${o.id}/regenerate-token`, undefined, {
      token: o.account.accessToken,
    });
    await ctx.t.relay.edge.routes.settled();
    expect((await get(o.host)).status).toBe(502);
  });

  it('re-verifies on its own: a CNAME moved elsewhere stops routing and shows pending_verification with the reason', async () => {
    const o = await onlineInstance();
    const domain = await verifiedDomain(o, 'moving');
    ctx.dns.set(domain, 'CNAME', 'somewhere-else.example.net');
    // DOMAIN_REVERIFY_INTERVAL_S=1: the next pass sees it.
    await within(5000, async () => (await get(domain)).status === 404);
    const list = await ctx.t.api.get(`/instances/${o.id}/domains`, {
      token: o.account.accessToken,
    });
    const d = (
      list.body.domains as { domain: string; status: string; error: string | null }[]
    ).find((x) => x.domain === domain);
    expect(d?.status).toBe('pending_verification');
    expect(d?.error).toBe(
      `CNAME points to somewhere-else.example.net, expected ${o.id}.tunnel.cloud.test`,
    );
    expect((await get(o.host)).status).toBe(200);
  });

  it('keeps a verified domain routing through a DNS outage during re-verification', async () => {
    const o = await onlineInstance();
    const domain = await verifiedDomain(o, 'outage');
    ctx.dns.simulate('servfail', domain);
    try {
      await ctx.t.relay.reverification.runOnce();
      const stored = await ctx.t.relay.services.store.domains.get(domain);
      expect(stored?.status).toBe('verified');
      expect(stored?.lastError).toMatch(/DNS lookup failed/);
      expect((await get(domain)).status).toBe(200);
    } finally {
      ctx.dns.simulate(null, domain);
    }
  });

  it('reports the edge in GET /v1/health', async () => {
    const res = await ctx.t.api.get('/health');
    expect(res.body.checks.edge).toEqual({
      ok: true,
      detail: expect.stringMatching(/^builtin on http:\/\/127\.0\.0\.1:\d+, \d+ hosts routed$/),
    });
  });
});

describe('route table across a restart', () => {
  it('loads every instance and verified domain from the store when the relay starts again', async () => {
    const o = await onlineInstance();
    const domain = await verifiedDomain(o, 'restart');
    const routes = (await ctx.restart()).relay.edge.routes;
    expect(routes.resolve(o.host)?.upstream).toEqual({ host: o.tunnelIp, port: o.port });
    expect(routes.resolve(domain)?.kind).toBe('custom');
    expect(routes.resolve(domain)?.instance.instanceId).toBe(o.id);
    expect((await get(domain)).text).toBe(`app ${o.subdomain} ${domain} /`);
  });
});
