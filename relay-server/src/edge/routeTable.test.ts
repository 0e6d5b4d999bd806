import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import {
  createAccount,
  createInstance,
  LogCapture,
  startTestRelay,
  type TestRelay,
} from '../testing/index.js';
import { parseCidr } from '../tunnelAddresses/cidr.js';
import { generateKeyPair } from '@cloud-connect/agent-core/wireguard';
import { RouteTable } from './routeTable.js';
import type { RouteGuard, TunnelRoute } from './tunnelRouteGuard.js';

/**
 * The route table with a stand-in route guard (the kernel one is pinned in
 * tunnelRouteGuard.test.ts and, in namespaces, e2e/edgeRouteGuard.test.ts): a real relay makes
 * instances online, a second table on its store and events is asked where they go.
 */

const CIDR = '10.231.0.0/16';
let t: TestRelay;
let seq = 0;

beforeAll(async () => {
  t = await startTestRelay({ env: { TUNNEL_CIDR: CIDR } });
});

afterAll(async () => {
  await t?.stop();
});

/** A guard whose answer the test sets, counting the addresses it was asked about. */
function standInGuard(initial: 'lan' | 'wireguard') {
  const state = { mode: initial, asked: [] as string[][] };
  const guard: RouteGuard = {
    async check(ips) {
      state.asked.push([...ips]);
      return new Map(
        ips.map((ip): [string, TunnelRoute] => [
          ip,
          state.mode === 'wireguard'
            ? { safe: true, ip, dev: 'wg0', kind: 'wireguard' }
            : {
                safe: false,
                ip,
                route: 'dev eth0 via 192.0.2.1',
                why: 'eth0 is neither WireGuard nor loopback',
              },
        ]),
      );
    },
  };
  return { guard, state };
}

async function openTable(guard: RouteGuard) {
  const logs = new LogCapture();
  const table = await RouteTable.open({
    store: t.relay.services.store,
    events: t.relay.services.events,
    baseDomain: 'cloud.test',
    logger: createLogger('debug', logs),
    guard,
    tunnelCidr: parseCidr(CIDR),
    recheckIntervalMs: 0,
  });
  return { table, logs };
}

/** An instance registered with a target port and heartbeating: online as far as the store knows. */
async function onlineInstance() {
  const account = await createAccount(t);
  const subdomain = `rt${++seq}x${Date.now().toString(36)}`;
  const created = await createInstance(t, account, subdomain);
  const token = created.credentials.instance_token;
  const reg = await t.api.post(
    '/tunnel/register',
    { public_key: generateKeyPair().publicKey, target_port: 8080 },
    { token },
  );
  expect(reg.status).toBe(200);
  expect((await t.api.post('/tunnel/heartbeat', {}, { token })).status).toBe(200);
  return { host: `${subdomain}.cloud.test`, tunnelIp: created.instance.tunnel_ip, token };
}

const warnings = (logs: LogCapture) =>
  logs.records().filter((r) => r.level === 40 || r.level === 'warn');

describe('RouteTable with a route guard', () => {
  it('leaves an online instance offline while its tunnel IP is routed out of a LAN interface, and warns once naming the route', async () => {
    const a = await onlineInstance();
    const b = await onlineInstance();
    const { guard } = standInGuard('lan');
    const { table, logs } = await openTable(guard);
    try {
      expect(table.resolve(a.host)?.instance.instanceId).toBeDefined();
      expect(table.resolve(a.host)?.upstream).toBeNull();
      expect(table.resolve(b.host)?.upstream).toBeNull();
      const warned = warnings(logs);
      expect(warned).toHaveLength(1);
      expect(warned[0]?.route).toBe(`${CIDR} → dev eth0 via 192.0.2.1`);
      expect(String(warned[0]?.msg)).toMatch(/WireGuard interface or loopback.*502.*WG_MODE/);
    } finally {
      table.close();
    }
  });

  it('routes an online instance whose tunnel IP goes into WireGuard, asking once per IP rather than per heartbeat', async () => {
    const { guard, state } = standInGuard('wireguard');
    const { table, logs } = await openTable(guard);
    try {
      const a = await onlineInstance();
      await table.settled();
      expect(table.resolve(a.host)?.upstream).toEqual({ host: a.tunnelIp, port: 8080 });
      const asked = state.asked.flat().filter((ip) => ip === a.tunnelIp).length;
      for (let i = 0; i < 3; i++) await t.api.post('/tunnel/heartbeat', {}, { token: a.token });
      await table.settled();
      expect(state.asked.flat().filter((ip) => ip === a.tunnelIp).length).toBe(asked);
      expect(warnings(logs)).toHaveLength(0);
    } finally {
      table.close();
    }
  });

  it('re-checks routes: instances go offline when the route moves to a LAN and come back when it returns to WireGuard', async () => {
    const a = await onlineInstance();
    const { guard, state } = standInGuard('wireguard');
    const { table, logs } = await openTable(guard);
    let changes = 0;
    table.onChange(() => changes++);
    try {
      expect(table.resolve(a.host)?.upstream).not.toBeNull();
      await table.recheckRoutes();
      expect(changes).toBe(0);
      state.mode = 'lan';
      await table.recheckRoutes();
      expect(table.resolve(a.host)?.upstream).toBeNull();
      expect(changes).toBe(1);
      expect(warnings(logs)).toHaveLength(1);
      state.mode = 'wireguard';
      await table.recheckRoutes();
      expect(table.resolve(a.host)?.upstream).toEqual({ host: a.tunnelIp, port: 8080 });
      expect(changes).toBe(2);
    } finally {
      table.close();
    }
  });
});
