import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAccount,
  createInstance,
  manualClock,
  recordingWireGuard,
  setPlan,
  startTestRelay,
  type ManualClock,
  type RecordingWireGuard,
  type TestAccount,
  type TestRelay,
  NO_AGENT_DATA_PATH,
  UNCHECKED_DATA_PATH,
} from '../../testing/index.js';
import { startTestRelayForTest } from '../../testing/relayFixtures.js';
import { STREAM_PATH } from '@cloud-connect/agent-core/api';
import { generateKeyPair } from '@cloud-connect/agent-core/wireguard';

let t: TestRelay;
let wg: RecordingWireGuard;
let clock: ManualClock;
beforeAll(async () => {
  wg = recordingWireGuard();
  // Starts at the real time: the store prunes expired email tokens by wall-clock time.
  clock = manualClock();
  t = await startTestRelay({ clock, services: { wireguard: wg } });
});
afterAll(async () => {
  await t.stop();
});

let seq = 0;
const stamp = Date.now().toString(36);
const store = () => t.relay.services.store;
const as = (token: string) => ({ token });

interface Agent {
  account: TestAccount;
  id: string;
  subdomain: string;
  tunnelIp: string;
  token: string;
}

/** A verified account with one fresh instance, seen from the agent's side. */
async function agent(): Promise<Agent> {
  const account = await createAccount(t);
  const subdomain = `tun${++seq}x${stamp}`;
  const { instance, credentials } = await createInstance(t, account, subdomain);
  return {
    account,
    id: instance.id,
    subdomain,
    tunnelIp: instance.tunnel_ip,
    token: credentials.instance_token,
  };
}

const newKey = () => generateKeyPair().publicKey;
const register = (token: string, public_key: string, extra: object = {}) =>
  t.api.post('/tunnel/register', { public_key, ...extra }, as(token));
const heartbeat = (token: string, body: object = { timestamp: clock.now().toISOString() }) =>
  t.api.post('/tunnel/heartbeat', body, as(token));
const status = (token: string) => t.api.get('/tunnel/status', as(token));
const instanceStatus = async (a: Agent) =>
  (await t.api.get(`/instances/${a.id}`, { token: a.account.accessToken })).body.status;

describe('POST /tunnel/register', () => {
  it('answers seed 003’s tunnel configuration and adds the peer with the instance’s IP', async () => {
    const a = await agent();
    const key = newKey();
    const res = await register(a.token, key);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'registered',
      tunnel_config: {
        interface: { address: `${a.tunnelIp}/32` },
        peer: {
          public_key: wg.publicKey,
          endpoint: 'cloud.test:51820',
          allowed_ips: '10.100.0.1/32',
          persistent_keepalive: 25,
        },
      },
      domains: { subdomain: `${a.subdomain}.cloud.test`, custom_domains: [] },
      // Additive: the address a browser opens (EDGE_MODE=off here: https on 443).
      public_url: `https://${a.subdomain}.cloud.test`,
      // Additive: the data paths on offer (WG_MODE=off here: no WireGuard of the relay's own).
      transports: { wireguard: false, stream: { path: STREAM_PATH } },
    });
    expect(wg.peers.get(key)).toBe(a.tunnelIp);
    expect(wg.calls.at(-1)).toEqual({ op: 'add', publicKey: key, tunnelIp: a.tunnelIp });
    expect(await store().instances.get(a.id)).toMatchObject({
      publicKey: key,
      registeredAt: clock.now().toISOString(),
      targetPort: 80,
    });
  });

  it('keeps the tunnel IP stable across re-registration and swaps the old key out', async () => {
    const a = await agent();
    const first = newKey();
    const second = newKey();
    const r1 = await register(a.token, first);
    const again = await register(a.token, first);
    const r2 = await register(a.token, second);
    for (const r of [r1, again, r2]) {
      expect(r.status).toBe(200);
      expect(r.body.tunnel_config.interface.address).toBe(`${a.tunnelIp}/32`);
    }
    expect(wg.peers.has(first)).toBe(false);
    expect(wg.peers.get(second)).toBe(a.tunnelIp);
    expect(wg.calls.slice(-2)).toEqual([
      { op: 'remove', publicKey: first },
      { op: 'add', publicKey: second, tunnelIp: a.tunnelIp },
    ]);
  });

  it('stores the forwarder’s target port when given', async () => {
    const a = await agent();
    expect((await register(a.token, newKey(), { target_port: 8080 })).status).toBe(200);
    expect((await store().instances.get(a.id))?.targetPort).toBe(8080);
  });

  const raw = (bytes: number) => randomBytes(bytes).toString('base64');
  it.each([
    ['not base64', 'this is not a wireguard key at all!!!!!!!!!='],
    ['31 bytes', raw(31)],
    ['33 bytes', raw(33)],
    ['64 bytes', raw(64)],
    ['32 bytes without padding', raw(32).replace(/=$/, '')],
    ['base64url characters', generateKeyPair().publicKey.replace(/.{2}(?==$)/, '-_')],
    ['bits set in the padding', `${'A'.repeat(42)}B=`],
    ['surrounding spaces', ` ${generateKeyPair().publicKey} `],
    ['an empty string', ''],
    ['a number', 12345],
  ])(
    'answers 422 VALIDATION_ERROR for a public key that is %s, changing nothing',
    async (_w, key) => {
      const a = await agent();
      const before = wg.calls.length;
      const res = await t.api.post('/tunnel/register', { public_key: key }, as(a.token));
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(res.body.error.details.fields).toHaveProperty('public_key');
      expect(wg.calls.length).toBe(before);
      expect((await store().instances.get(a.id))?.publicKey).toBeNull();
    },
  );

  it('answers 422 for the key of another instance and leaves that instance’s peer alone', async () => {
    const a = await agent();
    const b = await agent();
    const key = newKey();
    expect((await register(a.token, key)).status).toBe(200);
    const before = wg.calls.length;
    const res = await register(b.token, key);
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { fields: { public_key: expect.stringContaining('another instance') } },
    });
    expect(wg.calls.length).toBe(before);
    expect(wg.peers.get(key)).toBe(a.tunnelIp);
    expect((await store().instances.get(b.id))?.publicKey).toBeNull();
  });

  it('answers 422 for the relay’s own public key, which WireGuard cannot take as a peer', async () => {
    const a = await agent();
    const before = wg.calls.length;
    const res = await register(a.token, wg.publicKey);
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields).toHaveProperty('public_key');
    expect(wg.calls.length).toBe(before);
    expect((await store().instances.get(a.id))?.publicKey).toBeNull();
  });

  it('answers 422 for a missing key, an unknown field, a bad target port or malformed JSON', async () => {
    const a = await agent();
    for (const body of [
      {},
      { public_key: newKey(), tunnel_ip: '10.100.0.1' },
      { public_key: newKey(), target_port: 0 },
      { public_key: newKey(), target_port: 70000 },
      { public_key: newKey(), target_port: '80' },
      '{"public_key":',
    ]) {
      const res = await t.api.post('/tunnel/register', body, as(a.token));
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    }
    expect((await store().instances.get(a.id))?.publicKey).toBeNull();
  });

  it('answers 401 UNAUTHORIZED to a missing, forged or user token', async () => {
    const a = await agent();
    const [h, p, s] = a.token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'inst_someoneelse00000000' })).toString('base64url')}.${s}`;
    for (const token of [undefined, 'garbage', forged, a.account.accessToken]) {
      const res = await t.api.post(
        '/tunnel/register',
        { public_key: newKey() },
        token ? as(token) : {},
      );
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
    }
    expect((await store().instances.get(a.id))?.publicKey).toBeNull();
  });
});

describe('POST /tunnel/heartbeat', () => {
  it('answers 409 TUNNEL_NOT_REGISTERED before the tunnel is registered, changing nothing', async () => {
    const a = await agent();
    const res = await heartbeat(a.token);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('TUNNEL_NOT_REGISTERED');
    expect(await store().instances.get(a.id)).toMatchObject({ status: 'pending', lastSeen: null });
  });

  it('answers ok with next_heartbeat_in 60 and marks the instance connected at the relay’s time', async () => {
    const a = await agent();
    await register(a.token, newKey());
    expect(await instanceStatus(a)).toBe('pending');
    // The agent's own timestamp is informational: last_seen is the relay's clock.
    const res = await heartbeat(a.token, { timestamp: '2001-01-01T00:00:00Z' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', next_heartbeat_in: 60 });
    const detail = (await t.api.get(`/instances/${a.id}`, { token: a.account.accessToken })).body;
    expect(detail).toMatchObject({ status: 'connected', last_seen: clock.now().toISOString() });
  });

  it('accepts an empty body', async () => {
    const a = await agent();
    await register(a.token, newKey());
    const res = await t.api.post('/tunnel/heartbeat', undefined, as(a.token));
    expect(res.status).toBe(200);
    expect(res.body.next_heartbeat_in).toBe(60);
  });

  it('answers 422 for a bad timestamp or an unknown field and 401 without a token', async () => {
    const a = await agent();
    await register(a.token, newKey());
    for (const body of [{ timestamp: 'yesterday' }, { timestamp: 5 }, { status: 'up' }]) {
      const res = await heartbeat(a.token, body);
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    }
    expect((await store().instances.get(a.id))?.lastSeen).toBeNull();
    expect((await t.api.post('/tunnel/heartbeat', {})).status).toBe(401);
  });

  it('shows an instance that missed 3 heartbeats as disconnected, and connected again on the next', async () => {
    const a = await agent();
    await register(a.token, newKey());
    await heartbeat(a.token);
    const seen = clock.now().toISOString();
    clock.advance(150_000); // two and a half intervals: still connected
    expect(await instanceStatus(a)).toBe('connected');
    expect((await status(a.token)).body.tunnel_status).toBe('connected');
    clock.advance(31_000); // 181 s of silence: three heartbeats missed
    expect(await instanceStatus(a)).toBe('disconnected');
    const list = await t.api.get('/instances', { token: a.account.accessToken });
    expect(list.body.instances[0]).toMatchObject({ status: 'disconnected', last_seen: seen });
    expect((await status(a.token)).body).toMatchObject({
      tunnel_status: 'disconnected',
      domains: { subdomain: { status: 'inactive' } },
    });
    expect((await heartbeat(a.token)).status).toBe(200);
    expect(await instanceStatus(a)).toBe('connected');
  });
});

describe('POST /tunnel/disconnect', () => {
  it('answers seed 003’s body and shows the instance disconnected at once', async () => {
    const a = await agent();
    await register(a.token, newKey());
    await heartbeat(a.token);
    expect(await instanceStatus(a)).toBe('connected');
    const res = await t.api.post('/tunnel/disconnect', undefined, as(a.token));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'disconnected' });
    expect(await instanceStatus(a)).toBe('disconnected');
    expect((await status(a.token)).body.tunnel_status).toBe('disconnected');
    // A later heartbeat brings it back.
    await heartbeat(a.token);
    expect(await instanceStatus(a)).toBe('connected');
  });

  it('answers 401 without a valid instance token, changing nothing', async () => {
    const a = await agent();
    await register(a.token, newKey());
    await heartbeat(a.token);
    for (const token of ['garbage', a.account.accessToken]) {
      const res = await t.api.post('/tunnel/disconnect', undefined, as(token));
      expect(res.status).toBe(401);
    }
    expect(await instanceStatus(a)).toBe('connected');
  });
});

/**
 * What GET /tunnel/status answers for `a` in `tunnel_status`, with its agent as given and its
 * subdomain active or not. This relay's WireGuard is the recording stand-in (like WG_MODE=off):
 * no handshakes to see.
 */
const statusBody = (
  a: { subdomain: string },
  tunnel_status: string,
  agent: { alive: boolean; last_seen: string | null },
  subdomain: 'active' | 'inactive',
) => ({
  tunnel_status,
  agent,
  // Before any agent came there is no key and no session: the relay knows the path is down.
  data_path: tunnel_status === 'pending' ? NO_AGENT_DATA_PATH : UNCHECKED_DATA_PATH,
  public_url: `https://${a.subdomain}.cloud.test`,
  // No stream session in these tests: a connected instance is on its registered WireGuard key.
  transport: tunnel_status === 'connected' ? 'wireguard' : null,
  domains: {
    subdomain: { domain: `${a.subdomain}.cloud.test`, status: subdomain },
    custom_domains: [],
  },
});

describe('GET /tunnel/status', () => {
  it('answers pending with an inactive subdomain before the first heartbeat', async () => {
    const a = await agent();
    const res = await status(a.token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(
      statusBody(a, 'pending', { alive: false, last_seen: null }, 'inactive'),
    );
  });

  it('answers connected with an active subdomain after a heartbeat', async () => {
    const a = await agent();
    await register(a.token, newKey());
    await heartbeat(a.token);
    const res = await status(a.token);
    expect(res.body).toEqual(
      statusBody(a, 'connected', { alive: true, last_seen: clock.now().toISOString() }, 'active'),
    );
  });

  it('answers 401 UNAUTHORIZED without a valid instance token', async () => {
    const a = await agent();
    for (const token of [undefined, 'garbage', a.account.accessToken, a.account.refreshToken]) {
      const res = await t.api.get('/tunnel/status', token ? as(token) : {});
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
    }
  });
});

describe('revoking a tunnel', () => {
  it('deleting the instance removes its peer at once and refuses its token on the next call', async () => {
    const a = await agent();
    const key = newKey();
    await register(a.token, key);
    await heartbeat(a.token);
    const del = await t.api.delete(`/instances/${a.id}`, { token: a.account.accessToken });
    expect(del.status).toBe(204);
    expect(wg.peers.has(key)).toBe(false);
    for (const res of [
      await heartbeat(a.token),
      await status(a.token),
      await register(a.token, newKey()),
    ]) {
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
    }
    expect([...wg.peers.values()]).not.toContain(a.tunnelIp);
  });

  it('regenerating the token removes the peer, disconnects, and refuses the old token at once', async () => {
    const a = await agent();
    const key = newKey();
    await register(a.token, key);
    await heartbeat(a.token);
    const regen = await t.api.post(`/instances/${a.id}/regenerate-token`, undefined, {
      token: a.account.accessToken,
    });
    expect(regen.status).toBe(200);
    expect(wg.peers.has(key)).toBe(false);
    expect((await heartbeat(a.token)).status).toBe(401);
    expect((await register(a.token, newKey())).status).toBe(401);
    const fresh: string = regen.body.instance_token;
    expect((await status(fresh)).body.tunnel_status).toBe('disconnected');
    expect(await instanceStatus(a)).toBe('disconnected');
    // The same key may come back with the new token; it gets the same address.
    const again = await register(fresh, key);
    expect(again.body.tunnel_config.interface.address).toBe(`${a.tunnelIp}/32`);
    expect(wg.peers.get(key)).toBe(a.tunnelIp);
  });
});

describe('rate limit on tunnel calls', () => {
  it('answers 429 RATE_LIMITED with Retry-After past the per-instance budget, other instances unaffected', async () => {
    const limited = await startTestRelayForTest({
      rateLimits: { tunnelPerInstance: { points: 3, durationSeconds: 60 } },
    });
    const account = await createAccount(limited);
    await setPlan(limited, account, 'pro');
    const one = await createInstance(limited, account, `rate1x${stamp}`);
    const two = await createInstance(limited, account, `rate2x${stamp}`);
    const call = (token: string) => limited.api.get('/tunnel/status', { token });
    for (let i = 0; i < 3; i++)
      expect((await call(one.credentials.instance_token)).status).toBe(200);
    const res = await call(one.credentials.instance_token);
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('RATE_LIMITED');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await call(two.credentials.instance_token)).status).toBe(200);
  });
});
