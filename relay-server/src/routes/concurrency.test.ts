import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAccount,
  recordingWireGuard,
  setPlan,
  startTestRelay,
  type RecordingWireGuard,
  type TestAccount,
  type TestRelay,
} from '../testing/index.js';
import { contains, parseCidr } from '../tunnelAddresses/cidr.js';
import { generateKeyPair } from '@cloud-connect/agent-core/wireguard';

const TUNNEL_CIDR = '10.77.0.0/24';

let t: TestRelay;
let wg: RecordingWireGuard;
beforeAll(async () => {
  wg = recordingWireGuard();
  t = await startTestRelay({ env: { TUNNEL_CIDR }, services: { wireguard: wg } });
});
afterAll(async () => {
  await t.stop();
});

/** `count` verified Business accounts (10 instances each). */
async function businessAccounts(count: number, relay = t): Promise<TestAccount[]> {
  const accounts: TestAccount[] = [];
  for (let i = 0; i < count; i++) {
    const a = await createAccount(relay);
    await setPlan(relay, a, 'business');
    accounts.push(a);
  }
  return accounts;
}

/**
 * `count` creates at once on `relay`, from ten new Business accounts in turn; `body(i)` is the
 * i-th. Answers the accounts and the answers.
 */
async function parallelCreates(
  count: number,
  body: (i: number) => { name: string; subdomain: string },
  relay = t,
) {
  const accounts = await businessAccounts(10, relay);
  const results = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      relay.api.post('/instances', body(i), { token: accounts[i % accounts.length]!.accessToken }),
    ),
  );
  return { accounts, results };
}

describe('concurrency over HTTP', () => {
  it('50 parallel creates of one subdomain: exactly one 201, 49 SUBDOMAIN_TAKEN', async () => {
    const subdomain = `race${Date.now().toString(36)}`;
    const { accounts, results } = await parallelCreates(50, (i) => ({
      name: `Racer ${i}`,
      subdomain,
    }));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    for (const r of results.filter((x) => x.status === 409)) {
      expect(r.body.error.code).toBe('SUBDOMAIN_TAKEN');
      expect(r.body.error.details.suggestions).not.toContain(subdomain);
    }
    const winner = results.find((r) => r.status === 201)!;
    const dump = await t.relay.services.store.dump();
    const holders = Object.values(dump.instances).filter((i) => i.subdomain === subdomain);
    expect(holders).toEqual([expect.objectContaining({ id: winner.body.instance.id })]);
    // Losers got nothing: the only instance among these accounts is the winner.
    const ids = new Set(accounts.map((a) => a.id));
    expect(Object.values(dump.instances).filter((i) => ids.has(i.userId))).toHaveLength(1);
  });

  it('100 parallel creates and 100 parallel registrations: 100 distinct tunnel IPs in TUNNEL_CIDR', async () => {
    const stamp = Date.now().toString(36);
    const { results: created } = await parallelCreates(100, (i) => ({
      name: `Node ${i}`,
      subdomain: `node${i}x${stamp}`,
    }));
    expect(created.map((r) => r.status)).toEqual(Array(100).fill(201));

    const keys = created.map(() => generateKeyPair().publicKey);
    const registered = await Promise.all(
      created.map((c, i) =>
        t.api.post(
          '/tunnel/register',
          { public_key: keys[i] },
          { token: c.body.credentials.instance_token },
        ),
      ),
    );
    expect(registered.map((r) => r.status)).toEqual(Array(100).fill(200));

    const cidr = parseCidr(TUNNEL_CIDR);
    const addresses = registered.map((r) =>
      String(r.body.tunnel_config.interface.address).replace(/\/32$/, ''),
    );
    expect(new Set(addresses).size).toBe(100);
    for (const ip of addresses) {
      expect(contains(cidr, ip), `${ip} in ${TUNNEL_CIDR}`).toBe(true);
      expect(ip).not.toBe('10.77.0.1');
      expect(ip).not.toBe('10.77.0.0');
      expect(ip).not.toBe('10.77.0.255');
    }
    // Each registration answers its own instance's address, and the server's is .1.
    created.forEach((c, i) => {
      expect(addresses[i]).toBe(c.body.instance.tunnel_ip);
      expect(registered[i]!.body.tunnel_config.peer.allowed_ips).toBe('10.77.0.1/32');
    });
    // The WireGuard server holds exactly these 100 peers, each at its own address.
    expect(wg.peers.size).toBe(100);
    keys.forEach((k, i) => expect(wg.peers.get(k)).toBe(addresses[i]));
  });
});

describe('concurrency over HTTP with a store that answers slowly', () => {
  // A SQL store answers reads over the network. 3 ms per read lets many creates pass the
  // "is it free?" checks before any of them is stored, so the store's own atomic checks
  // (unique subdomain, unique tunnel IP) and the retries behind them must do the work.
  let slow: TestRelay;
  beforeAll(async () => {
    slow = await startTestRelay({ env: { TUNNEL_CIDR } });
    const instances = slow.relay.services.store.instances;
    const readUsed = instances.usedTunnelIps.bind(instances);
    const readBySubdomain = instances.findBySubdomain.bind(instances);
    instances.usedTunnelIps = async () => {
      const used = await readUsed();
      await sleep(3);
      return used;
    };
    instances.findBySubdomain = async (subdomain) => {
      const found = await readBySubdomain(subdomain);
      await sleep(3);
      return found;
    };
  });
  afterAll(async () => {
    await slow.stop();
  });

  it('50 parallel creates of one subdomain: still exactly one 201, 49 SUBDOMAIN_TAKEN', async () => {
    const { results } = await parallelCreates(
      50,
      (i) => ({ name: `Racer ${i}`, subdomain: 'slowrace' }),
      slow,
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    expect(await slow.relay.services.store.instances.count()).toBe(1);
  });

  it('100 parallel creates: still 100 distinct tunnel IPs in TUNNEL_CIDR', async () => {
    const { results: created } = await parallelCreates(
      100,
      (i) => ({ name: `Slow ${i}`, subdomain: `slow${i}` }),
      slow,
    );
    expect(created.map((r) => r.status)).toEqual(Array(100).fill(201));
    const ips = created.map((r) => String(r.body.instance.tunnel_ip));
    expect(new Set(ips).size).toBe(100);
    for (const ip of ips) {
      expect(contains(parseCidr(TUNNEL_CIDR), ip)).toBe(true);
      expect(ip).not.toBe('10.77.0.1');
    }
  });
});
