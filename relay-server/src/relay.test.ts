import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateKeyPair } from '@cloud-connect/agent-core/wireguard';
import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from './clock.js';
import { loadConfig } from './config/config.js';
import { RelayEvents } from './events.js';
import { LivenessWatch } from './liveness/livenessWatch.js';
import { createLogger } from './logging/logger.js';
import type { Mailer } from './mail/mailer.js';
import { buildServices, startRelay, type RelayOptions } from './relay.js';
import { LowdbStore } from './store/lowdbStore.js';
import {
  createAccount,
  createInstance,
  LogCapture,
  manualClock,
  startTestRelay,
  type ManualClock,
} from './testing/index.js';
import { records } from './testing/storeContract/index.js';
import { ACCESS_TTL_SECONDS } from './tokens/tokens.js';
import { storeOnlyWireGuard } from './wireguard/server.js';

const dirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cc-relay-graph-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** The active-tunnels gauge as `/metrics` serves it. */
async function activeTunnels(relayUrl: string): Promise<number> {
  const text = await (await fetch(`${relayUrl}/metrics`)).text();
  const m = /^cloud_connect_active_tunnels (\S+)$/m.exec(text);
  if (!m) throw new Error(`no active tunnels gauge in:\n${text}`);
  return Number(m[1]);
}

describe('the relay builds its graph once, honouring what it is given', () => {
  it('uses a store passed in everywhere: the API writes to it, the metrics count it, and the data dir is not locked', async () => {
    const store = await LowdbStore.open(await tempDir());
    const t = await startTestRelay({ services: { store } });
    cleanups.push(() => t.stop());
    // No LowdbStore of its own on the data dir: no lock, no snapshot.
    expect(await readdir(t.dataDir)).not.toContain('store.lock');
    expect(await readdir(t.dataDir)).not.toContain('store.json');

    const account = await createAccount(t);
    const one = await createInstance(t, account, 'given-store');
    const token = one.credentials.instance_token;
    await t.api.post('/tunnel/register', { public_key: generateKeyPair().publicKey }, { token });
    expect((await t.api.post('/tunnel/heartbeat', {}, { token })).status).toBe(200);
    expect(await store.users.get(account.id)).not.toBeNull();
    expect((await store.instances.get(one.instance.id))?.status).toBe('connected');
    expect(await activeTunnels(t.url)).toBe(1);

    // The relay owns what it was given: closing the relay closes the store.
    await t.stop();
    cleanups.pop();
    await expect(store.ping()).rejects.toThrow(/closed/);
  });

  const clockWays: [string, (clock: ManualClock) => RelayOptions][] = [
    ['options.clock', (clock) => ({ clock })],
    ['services.clock', (clock) => ({ services: { clock } })],
  ];

  it.each(clockWays)(
    'runs tokens, billing and the store on a clock passed as %s',
    async (_way, options) => {
      const clock = manualClock();
      const config = loadConfig({
        RELAY_DATA_DIR: await tempDir(),
        LOG_LEVEL: 'silent',
        STRIPE_SECRET_KEY: 'sk_test_graph',
        STRIPE_WEBHOOK_SECRET: 'whsec_graph',
        STRIPE_PRICE_PRO: 'price_pro',
        STRIPE_PRICE_BUSINESS: 'price_business',
      });
      const services = await buildServices(config, options(clock));
      cleanups.push(() => services.store.close());
      expect(services.clock).toBe(clock);

      // An access token lives ACCESS_TTL_SECONDS by the manual clock, not the wall clock.
      const access = await services.tokens.signAccess('usr_graph');
      clock.advance(ACCESS_TTL_SECONDS * 1000 - 1000);
      expect(await services.tokens.verifyAccess(access)).toEqual({ userId: 'usr_graph' });
      clock.advance(2000);
      expect(await services.tokens.verifyAccess(access)).toBeNull();

      // A webhook signature is accepted for 300 s after it was made, by the manual clock.
      const payload = JSON.stringify({ id: 'evt_graph', object: 'event', type: 'ping' });
      const header = Stripe.webhooks.generateTestHeaderString({
        payload,
        secret: 'whsec_graph',
        timestamp: Math.floor(clock.nowMs() / 1000),
      });
      const billing = services.billing!;
      clock.advance(299_000);
      expect(billing.constructEvent(Buffer.from(payload), header).id).toBe('evt_graph');
      clock.advance(2000);
      expect(() => billing.constructEvent(Buffer.from(payload), header)).toThrow(/tolerance/);

      // The store prunes expired tokens by the same clock: a day after expiry, gone.
      const user = await services.store.users.create(records.user());
      await services.store.emailTokens.create(
        records.emailToken(user.id, { expiresAt: new Date(clock.nowMs() + 1000).toISOString() }),
      );
      clock.advance(24 * 3_600_000 + 2000);
      await services.store.users.update(user.id, { name: 'Graph again' });
      await (services.store as LowdbStore).snapshot();
      expect((await services.store.dump()).emailTokens).toEqual({});
    },
  );

  it('reports the started edge’s own health and names the ports the API and the edge got, leaving the config it was given as it was', async () => {
    const config = loadConfig({
      RELAY_HOST: '127.0.0.1',
      RELAY_PORT: '0',
      RELAY_DATA_DIR: await tempDir(),
      LOG_LEVEL: 'silent',
      EDGE_MODE: 'builtin',
      EDGE_HOST: '127.0.0.1',
      EDGE_PORT: '0',
    });
    const relay = await startRelay(config, { logDestination: new LogCapture() });
    cleanups.push(() => relay.close());
    const proxy = relay.edge.proxy!;
    expect(proxy.mode).toBe('builtin');
    expect(proxy.port).toBeGreaterThan(0);
    expect(proxy.url).toBe(`http://127.0.0.1:${proxy.port}`);
    // The API names the port the edge got; the caller's config is not written to.
    expect(config.edgePort).toBe(0);
    expect(relay.services.config.edgePort).toBe(proxy.port);
    // RELAY_PORT=0 with no RELAY_PUBLIC_URL: the links the API writes name the port it got.
    expect(config.publicUrl).toBe('http://127.0.0.1:0');
    expect(relay.services.config.publicUrl).toBe(relay.url);
    expect(relay.url).toBe(`http://127.0.0.1:${relay.port}`);
    const health = (await (await fetch(`${relay.url}/v1/health`)).json()) as {
      checks: { edge: unknown };
    };
    expect(health.checks.edge).toEqual(await proxy.health());
    expect(health.checks.edge).toEqual({
      ok: true,
      detail: `builtin on http://127.0.0.1:${proxy.port}, 0 hosts routed`,
    });
  });

  it('serves the config it was started with: services.config is no override (and does not type-check)', async () => {
    const other = loadConfig({ RELAY_DATA_DIR: '/nonexistent/other', LOG_LEVEL: 'silent' });
    const t = await startTestRelay({
      services: {
        // @ts-expect-error the config is startRelay's argument, not a service to replace
        config: other,
      },
    });
    cleanups.push(() => t.stop());
    expect(t.relay.services.config.dataDir).toBe(t.dataDir);
    expect(t.relay.services.config.baseDomain).toBe('cloud.test');
  });

  it('reports no edge when none runs, and an edge health passed in over the edge’s own', async () => {
    const edgeHealth = async () => ({ ok: false, detail: 'given' });
    const t = await startTestRelay({ services: { edgeHealth } });
    cleanups.push(() => t.stop());
    expect(t.relay.edge.proxy).toBeNull();
    expect(t.relay.services.edgeHealth).toBe(edgeHealth);
    expect(await t.relay.edge.health()).toEqual({
      ok: true,
      detail: 'off: no edge in this process',
    });
  });
});

/** Listen on `port` of 127.0.0.1 (0: one the OS picks); the server is closed after the test. */
async function listenOn(port: number): Promise<net.Server> {
  const server = net.createServer().listen(port, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise((r) => server.close(() => r())));
  return server;
}

/** A port of 127.0.0.1 that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = await listenOn(0);
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** Whether `port` of 127.0.0.1 can be listened on now (nothing holds it). */
async function isFree(port: number): Promise<boolean> {
  const server = net.createServer().listen(port, '127.0.0.1');
  try {
    await once(server, 'listening');
  } catch {
    return false;
  }
  await new Promise((r) => server.close(r));
  return true;
}

describe('a start that fails part-way closes what it had started, newest first', () => {
  /** A liveness watch that cannot start its timer: the step after the API listens. */
  class LivenessThatWillNotStart extends LivenessWatch {
    override start(): void {
      throw new Error('liveness would not start');
    }
  }

  it.each([
    { step: 'the edge cannot listen (its port is taken)', taken: 'edge', error: /EADDRINUSE/ },
    { step: 'the API cannot listen (its port is taken)', taken: 'api', error: /EADDRINUSE/ },
    { step: 'liveness throws once the API listens', taken: null, error: /would not start/ },
  ] as const)('when $step', async ({ taken, error }) => {
    const ports = { api: await freePort(), edge: await freePort() };
    if (taken) await listenOn(ports[taken]);
    const dataDir = await tempDir();
    const config = loadConfig({
      RELAY_HOST: '127.0.0.1',
      RELAY_PORT: String(ports.api),
      RELAY_DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      EDGE_MODE: 'builtin',
      EDGE_HOST: '127.0.0.1',
      EDGE_PORT: String(ports.edge),
    });
    const closed: string[] = [];
    const store = await LowdbStore.open(dataDir);
    const wireguard = {
      ...storeOnlyWireGuard(generateKeyPair().publicKey),
      close: async () => void closed.push('wireguard'),
    };
    const mailer: Mailer = {
      kind: 'outbox',
      send: async () => undefined,
      close: async () => void closed.push('mailer'),
    };
    const liveness = new LivenessThatWillNotStart({
      config,
      store,
      wireguard,
      clock: systemClock,
      timing: { heartbeatIntervalSeconds: 60, missedHeartbeats: 3, livenessSweepSeconds: 5 },
      events: new RelayEvents(),
      logger: createLogger('silent'),
    });

    await expect(
      startRelay(config, {
        logDestination: new LogCapture(),
        services: { store, wireguard, mailer, liveness },
      }),
    ).rejects.toThrow(error);

    // Every port the relay bound is free again, and what it was given is closed, newest first.
    for (const [name, port] of Object.entries(ports)) {
      if (name !== taken) expect(await isFree(port), `${name} port`).toBe(true);
    }
    expect(closed).toEqual(['mailer', 'wireguard']);
    await expect(store.ping()).rejects.toThrow(/closed/);
  });
});
