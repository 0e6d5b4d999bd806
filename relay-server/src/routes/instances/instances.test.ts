import { generateKeyPair } from '@cloud-connect/agent-core/wireguard';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAccount,
  createInstance,
  recordingWireGuard,
  setPlan,
  type RecordingWireGuard,
  type TestAccount,
  type TestRelay,
  startTestRelay,
  NO_AGENT_DATA_PATH,
} from '../../testing/index.js';
import { startTestRelayForTest } from '../../testing/relayFixtures.js';

let t: TestRelay;
let wg: RecordingWireGuard;
beforeAll(async () => {
  wg = recordingWireGuard();
  t = await startTestRelay({ services: { wireguard: wg } });
});
afterAll(async () => {
  await t.stop();
});

let seq = 0;
/** A subdomain no other test in this file uses. */
const fresh = (stem = 'box') => `${stem}${++seq}x${Date.now().toString(36)}`;
const auth = (a: TestAccount) => ({ token: a.accessToken });
const store = () => t.relay.services.store;
const instancesOf = async (a: TestAccount) => store().instances.listByUser(a.id);
/** An instance as seed 003's PATCH answer names it; the detail adds its state to this. */
const naming = (id: string, name: string, subdomain: string) => ({
  id,
  name,
  subdomain,
  full_domain: `${subdomain}.cloud.test`,
});
/** A fresh account asks for an instance named X on `subdomain`. */
async function createWith(subdomain: string) {
  const ann = await createAccount(t);
  const res = await t.api.post('/instances', { name: 'X', subdomain }, auth(ann));
  return { ann, res };
}

describe('GET /instances', () => {
  it('lists only the caller’s instances in seed 003’s list shape', async () => {
    const ann = await createAccount(t);
    const bob = await createAccount(t);
    await setPlan(t, ann, 'pro');
    const sub = fresh('myfiles');
    const created = await createInstance(t, ann, sub, 'My Erugo Server');
    await createInstance(t, bob, fresh());

    const res = await t.api.get('/instances', auth(ann));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      instances: [
        {
          id: created.instance.id,
          name: 'My Erugo Server',
          subdomain: sub,
          custom_domain: null,
          status: 'pending',
          ...PENDING_HEALTH,
          public_url: `https://${sub}.cloud.test`,
          tunnel_ip: created.instance.tunnel_ip,
          last_seen: null,
          created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
        },
      ],
    });
    expect(res.text).not.toContain(created.credentials.instance_token);
  });

  it('answers an empty list to a new account', async () => {
    const ann = await createAccount(t);
    const res = await t.api.get('/instances', auth(ann));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ instances: [] });
  });

  it('answers 401 UNAUTHORIZED without a valid access token', async () => {
    const ann = await createAccount(t);
    for (const token of [undefined, 'not-a-jwt', ann.refreshToken]) {
      const res = await t.api.get('/instances', token ? { token } : {});
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
    }
  });
});

/**
 * Seed 003's shapes plus the additive status model: a new instance's agent was never seen,
 * and with no key and no stream session its data path is down. With EDGE_MODE=off the
 * public URL is https on the default port.
 */
const PENDING_HEALTH = {
  agent: { alive: false, last_seen: null },
  data_path: NO_AGENT_DATA_PATH,
  transport: null,
};

describe('POST /instances', () => {
  it('creates an instance with seed 003’s body: instance, token and WireGuard credentials', async () => {
    const ann = await createAccount(t);
    const sub = fresh('myfiles');
    const res = await t.api.post(
      '/instances',
      { name: 'My Erugo Server', subdomain: sub },
      auth(ann),
    );
    expect(res.status).toBe(201);
    const { instance, credentials } = res.body;
    expect(Object.keys(res.body).sort()).toEqual(['credentials', 'instance']);
    expect(instance).toEqual({
      id: expect.stringMatching(/^inst_[a-z0-9]{20}$/),
      name: 'My Erugo Server',
      subdomain: sub,
      full_domain: `${sub}.cloud.test`,
      status: 'pending',
      tunnel_ip: expect.stringMatching(/^10\.100\.\d+\.\d+$/),
      created_at: expect.any(String),
    });
    expect(instance.tunnel_ip).not.toBe('10.100.0.1');
    expect(credentials).toEqual({
      instance_token: expect.stringMatching(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/),
      wireguard: {
        server_public_key: wg.publicKey,
        server_endpoint: 'cloud.test:51820',
        client_ip: `${instance.tunnel_ip}/32`,
        allowed_ips: '10.100.0.1/32',
      },
    });
    // The token is an instance token for exactly this instance.
    const status = await t.api.get('/tunnel/status', { token: credentials.instance_token });
    expect(status.status).toBe(200);
    expect(status.body.domains.subdomain.domain).toBe(`${sub}.cloud.test`);
    // Shown once: never again on read.
    const got = await t.api.get(`/instances/${instance.id}`, auth(ann));
    expect(got.text).not.toContain(credentials.instance_token);
  });

  it('normalises the subdomain to lower case and trims the name', async () => {
    const ann = await createAccount(t);
    const sub = fresh('mixed');
    const res = await t.api.post(
      '/instances',
      { name: '  Spaced  ', subdomain: sub.toUpperCase() },
      auth(ann),
    );
    expect(res.status).toBe(201);
    expect(res.body.instance).toMatchObject({ name: 'Spaced', subdomain: sub });
  });

  it('answers 403 EMAIL_NOT_VERIFIED to an unverified account and creates nothing', async () => {
    const ann = await createAccount(t, { verified: false });
    const res = await t.api.post('/instances', { name: 'X', subdomain: fresh() }, auth(ann));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('EMAIL_NOT_VERIFIED');
    expect(await instancesOf(ann)).toEqual([]);
  });

  it('answers 409 SUBDOMAIN_TAKEN with suggestions that are themselves available', async () => {
    const ann = await createAccount(t);
    const bob = await createAccount(t);
    const sub = fresh('myfiles');
    await createInstance(t, ann, sub);
    // Take the first candidate too, so suggestions must skip it.
    await setPlan(t, ann, 'pro');
    await createInstance(t, ann, `${sub}1`);

    const res = await t.api.post('/instances', { name: 'Mine', subdomain: sub }, auth(bob));
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: 'SUBDOMAIN_TAKEN',
      message: 'This subdomain is already in use',
      details: { subdomain: sub },
    });
    const suggestions: string[] = res.body.error.details.suggestions;
    expect(suggestions.length).toBeGreaterThanOrEqual(1);
    expect(suggestions).not.toContain(`${sub}1`);
    expect(suggestions).toContain(`${sub}-share`);
    for (const s of suggestions) {
      const check = await t.api.get(`/subdomains/check?subdomain=${s}`, auth(bob));
      expect(check.body).toEqual({ subdomain: s, available: true });
    }
    expect(await instancesOf(bob)).toEqual([]);
    // A suggestion really can be taken.
    const taken = await t.api.post(
      '/instances',
      { name: 'Mine', subdomain: suggestions[0] },
      auth(bob),
    );
    expect(taken.status).toBe(201);
  });

  it('treats a taken subdomain as taken in any letter case', async () => {
    const ann = await createAccount(t);
    const bob = await createAccount(t);
    const sub = fresh('case');
    await createInstance(t, ann, sub);
    const res = await t.api.post(
      '/instances',
      { name: 'X', subdomain: sub.toUpperCase() },
      auth(bob),
    );
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('SUBDOMAIN_TAKEN');
  });

  it.each(['www', 'api', 'admin', 'app', 'connect', 'tunnel', 'mail', 'dashboard'])(
    'refuses the reserved word "%s" with SUBDOMAIN_TAKEN and free suggestions',
    async (word) => {
      const { ann, res } = await createWith(word);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('SUBDOMAIN_TAKEN');
      expect(res.body.error.message).toContain('reserved');
      expect(res.body.error.details.subdomain).toBe(word);
      expect(res.body.error.details.suggestions.length).toBeGreaterThan(0);
      for (const s of res.body.error.details.suggestions) expect(s).toMatch(new RegExp(`${word}`));
      expect(await instancesOf(ann)).toEqual([]);
    },
  );

  it.each([
    ['free', 1],
    ['pro', 3],
    ['business', 10],
  ] as const)(
    'allows a %s account %i instances, then answers 403 LIMIT_EXCEEDED and creates nothing',
    async (plan, limit) => {
      const ann = await createAccount(t);
      await setPlan(t, ann, plan);
      const stem = fresh(plan);
      for (let i = 0; i < limit; i++) await createInstance(t, ann, `${stem}-${i}`);
      const res = await t.api.post(
        '/instances',
        { name: 'One too many', subdomain: `${stem}-over` },
        auth(ann),
      );
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject({
        code: 'LIMIT_EXCEEDED',
        details: { plan, limit, resource: 'instances' },
      });
      expect(await instancesOf(ann)).toHaveLength(limit);
      expect(await store().instances.findBySubdomain(`${stem}-over`)).toBeNull();
    },
  );

  it('applies Free limits once a paid subscription is canceled', async () => {
    const ann = await createAccount(t);
    await setPlan(t, ann, 'pro');
    const stem = fresh('lapsed');
    await createInstance(t, ann, `${stem}-a`);
    const user = await store().users.get(ann.id);
    await store().users.update(ann.id, {
      subscription: { ...user!.subscription!, status: 'canceled' },
    });
    const res = await t.api.post('/instances', { name: 'X', subdomain: `${stem}-b` }, auth(ann));
    expect(res.status).toBe(403);
    expect(res.body.error.details).toMatchObject({ plan: 'free', limit: 1 });
  });

  it.each([
    ['a missing name', { subdomain: 'valid-name' }, 'name'],
    ['an empty name', { name: '   ', subdomain: 'valid-name' }, 'name'],
    ['a name over 100 characters', { name: 'n'.repeat(101), subdomain: 'valid-name' }, 'name'],
    ['a missing subdomain', { name: 'X' }, 'subdomain'],
    ['a 2-character subdomain', { name: 'X', subdomain: 'ab' }, 'subdomain'],
    ['a 64-character subdomain', { name: 'X', subdomain: 'a'.repeat(64) }, 'subdomain'],
    ['a leading hyphen', { name: 'X', subdomain: '-abc' }, 'subdomain'],
    ['a trailing hyphen', { name: 'X', subdomain: 'abc-' }, 'subdomain'],
    ['an underscore', { name: 'X', subdomain: 'a_bc' }, 'subdomain'],
    ['a dot', { name: 'X', subdomain: 'a.bc' }, 'subdomain'],
    ['a number for the subdomain', { name: 'X', subdomain: 12345 }, 'subdomain'],
    ['an unknown field', { name: 'X', subdomain: 'valid-name', plan: 'business' }, 'plan'],
  ])('answers 422 VALIDATION_ERROR naming the field for %s', async (_what, body, field) => {
    const ann = await createAccount(t);
    const res = await t.api.post('/instances', body, auth(ann));
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(Object.keys(res.body.error.details.fields)).toContain(field);
    expect(await instancesOf(ann)).toEqual([]);
  });

  it('answers 422 for malformed JSON and 401 without a token, creating nothing', async () => {
    const ann = await createAccount(t);
    const bad = await t.api.post('/instances', '{"name": "X", "subdomain":', auth(ann));
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.fields).toHaveProperty('body');
    const anon = await t.api.post('/instances', { name: 'X', subdomain: fresh() });
    expect(anon.status).toBe(401);
    expect(anon.body.error.code).toBe('UNAUTHORIZED');
    expect(await instancesOf(ann)).toEqual([]);
  });
});

describe('GET /instances/:instance_id', () => {
  it('answers seed 003’s detail shape', async () => {
    const ann = await createAccount(t);
    const sub = fresh('myfiles');
    const { instance } = await createInstance(t, ann, sub, 'My Erugo Server');
    const res = await t.api.get(`/instances/${instance.id}`, auth(ann));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ...naming(instance.id, 'My Erugo Server', sub),
      custom_domain: null,
      status: 'pending',
      ...PENDING_HEALTH,
      public_url: `https://${sub}.cloud.test`,
      tunnel_ip: instance.tunnel_ip,
      last_seen: null,
      created_at: expect.any(String),
    });
  });

  it('answers 404 NOT_FOUND for another user’s instance and for an unknown id', async () => {
    const ann = await createAccount(t);
    const bob = await createAccount(t);
    const { instance } = await createInstance(t, ann, fresh());
    for (const id of [instance.id, 'inst_doesnotexist0000000']) {
      const res = await t.api.get(`/instances/${id}`, auth(bob));
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
      expect(res.text).not.toContain(instance.subdomain);
    }
  });

  it('answers 422 for an id that is not an instance id and 401 without a token', async () => {
    const ann = await createAccount(t);
    const { instance } = await createInstance(t, ann, fresh());
    const bad = await t.api.get('/instances/usr_12345678901234567890', auth(ann));
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.fields).toHaveProperty('instance_id');
    const anon = await t.api.get(`/instances/${instance.id}`);
    expect(anon.status).toBe(401);
  });
});

describe('PATCH /instances/:instance_id', () => {
  it('renames and moves the subdomain, answering seed 003’s body; the old one is free again', async () => {
    const ann = await createAccount(t);
    const before = fresh('old');
    const after = fresh('files');
    const { instance } = await createInstance(t, ann, before);
    const res = await t.api.patch(
      `/instances/${instance.id}`,
      { name: 'Production Server', subdomain: after },
      auth(ann),
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual(naming(instance.id, 'Production Server', after));
    const got = await t.api.get(`/instances/${instance.id}`, auth(ann));
    expect(got.body).toMatchObject({ name: 'Production Server', subdomain: after });
    const check = await t.api.get(`/subdomains/check?subdomain=${before}`, auth(ann));
    expect(check.body.available).toBe(true);
    expect(got.body.tunnel_ip).toBe(instance.tunnel_ip);
  });

  it('changes only the name when only the name is sent, and accepts its own subdomain', async () => {
    const ann = await createAccount(t);
    const sub = fresh();
    const { instance } = await createInstance(t, ann, sub);
    const res = await t.api.patch(`/instances/${instance.id}`, { name: 'Renamed' }, auth(ann));
    expect(res.body).toMatchObject({ name: 'Renamed', subdomain: sub });
    const same = await t.api.patch(`/instances/${instance.id}`, { subdomain: sub }, auth(ann));
    expect(same.status).toBe(200);
    expect(same.body.subdomain).toBe(sub);
  });

  it('answers 409 SUBDOMAIN_TAKEN for another’s subdomain or a reserved one, changing nothing', async () => {
    const ann = await createAccount(t);
    const bob = await createAccount(t);
    const mine = fresh('mine');
    const theirs = fresh('theirs');
    const { instance } = await createInstance(t, ann, mine, 'Keep');
    await createInstance(t, bob, theirs);
    for (const subdomain of [theirs, 'admin']) {
      const res = await t.api.patch(
        `/instances/${instance.id}`,
        { name: 'Changed', subdomain },
        auth(ann),
      );
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('SUBDOMAIN_TAKEN');
      expect(res.body.error.details.subdomain).toBe(subdomain);
      for (const s of res.body.error.details.suggestions) {
        expect(await store().instances.findBySubdomain(s)).toBeNull();
      }
    }
    expect(await store().instances.get(instance.id)).toMatchObject({
      name: 'Keep',
      subdomain: mine,
    });
  });

  it('answers 404 NOT_FOUND for another user’s instance and leaves it unchanged', async () => {
    const ann = await createAccount(t);
    const bob = await createAccount(t);
    const sub = fresh();
    const { instance } = await createInstance(t, ann, sub, 'Ann’s');
    const res = await t.api.patch(
      `/instances/${instance.id}`,
      { name: 'Bob was here', subdomain: fresh() },
      auth(bob),
    );
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect(await store().instances.get(instance.id)).toMatchObject({
      name: 'Ann’s',
      subdomain: sub,
    });
  });

  it('answers 401 UNAUTHORIZED without a user token, changing nothing', async () => {
    const ann = await createAccount(t);
    const sub = fresh();
    const { instance, credentials } = await createInstance(t, ann, sub, 'Keep');
    for (const token of [undefined, 'garbage', credentials.instance_token]) {
      const res = await t.api.patch(
        `/instances/${instance.id}`,
        { name: 'Changed' },
        token ? { token } : {},
      );
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
    }
    expect(await store().instances.get(instance.id)).toMatchObject({ name: 'Keep' });
  });

  it('answers 422 for an empty body, a bad subdomain or an unknown field, changing nothing', async () => {
    const ann = await createAccount(t);
    const sub = fresh();
    const { instance } = await createInstance(t, ann, sub, 'Keep');
    for (const body of [{}, { subdomain: 'x' }, { name: 'ok', tunnel_ip: '10.100.0.9' }, '{oops']) {
      const res = await t.api.patch(`/instances/${instance.id}`, body, auth(ann));
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    }
    expect(await store().instances.get(instance.id)).toMatchObject({
      name: 'Keep',
      subdomain: sub,
      tunnelIp: instance.tunnel_ip,
    });
  });
});

/** Register a fresh WireGuard key for the instance; returns the key. */
async function register(token: string): Promise<string> {
  const { publicKey } = generateKeyPair();
  const res = await t.api.post('/tunnel/register', { public_key: publicKey }, { token });
  expect(res.status).toBe(200);
  return publicKey;
}

describe('DELETE /instances/:instance_id', () => {
  it('answers 204, removes the instance, its domains and its WireGuard peer at once', async () => {
    const ann = await createAccount(t);
    await setPlan(t, ann, 'pro');
    const sub = fresh();
    const { instance, credentials } = await createInstance(t, ann, sub);
    const key = await register(credentials.instance_token);
    expect(wg.peers.get(key)).toBe(instance.tunnel_ip);
    const domain = `${fresh('d')}.example.com`;
    expect(
      (await t.api.post(`/instances/${instance.id}/domains`, { domain }, auth(ann))).status,
    ).toBe(201);

    const res = await t.api.delete(`/instances/${instance.id}`, auth(ann));
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(wg.peers.has(key)).toBe(false);
    expect(wg.calls.at(-1)).toEqual({ op: 'remove', publicKey: key });
    expect((await t.api.get(`/instances/${instance.id}`, auth(ann))).status).toBe(404);
    expect(await store().domains.get(domain)).toBeNull();
    // The subdomain and the tunnel IP are free again.
    expect((await t.api.get(`/subdomains/check?subdomain=${sub}`, auth(ann))).body.available).toBe(
      true,
    );
    expect(await store().instances.findByTunnelIp(instance.tunnel_ip)).toBeNull();
  });

  it('refuses the deleted instance’s token on its very next call', async () => {
    const ann = await createAccount(t);
    const { instance, credentials } = await createInstance(t, ann, fresh());
    await register(credentials.instance_token);
    await t.api.delete(`/instances/${instance.id}`, auth(ann));
    const res = await t.api.post('/tunnel/heartbeat', {}, { token: credentials.instance_token });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
  });

  it('answers 404 NOT_FOUND for another user’s instance and keeps it, its peer and its token', async () => {
    const ann = await createAccount(t);
    const bob = await createAccount(t);
    const { instance, credentials } = await createInstance(t, ann, fresh());
    const key = await register(credentials.instance_token);
    const res = await t.api.delete(`/instances/${instance.id}`, auth(bob));
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect(await store().instances.get(instance.id)).not.toBeNull();
    expect(wg.peers.get(key)).toBe(instance.tunnel_ip);
    const hb = await t.api.post('/tunnel/heartbeat', {}, { token: credentials.instance_token });
    expect(hb.status).toBe(200);
  });

  it('answers 401 UNAUTHORIZED without a user token (an instance cannot delete itself)', async () => {
    const ann = await createAccount(t);
    const { instance, credentials } = await createInstance(t, ann, fresh());
    for (const token of [undefined, 'garbage', credentials.instance_token]) {
      const res = await t.api.delete(`/instances/${instance.id}`, token ? { token } : {});
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
    }
    expect(await store().instances.get(instance.id)).not.toBeNull();
  });

  it('answers 404 when deleting the same instance twice', async () => {
    const ann = await createAccount(t);
    const { instance } = await createInstance(t, ann, fresh());
    expect((await t.api.delete(`/instances/${instance.id}`, auth(ann))).status).toBe(204);
    const again = await t.api.delete(`/instances/${instance.id}`, auth(ann));
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('NOT_FOUND');
  });
});

describe('POST /instances/:instance_id/regenerate-token', () => {
  it('answers a new token only; the old one is refused at once and the peer removed', async () => {
    const ann = await createAccount(t);
    const { instance, credentials } = await createInstance(t, ann, fresh());
    const oldToken = credentials.instance_token;
    const key = await register(oldToken);
    expect((await t.api.post('/tunnel/heartbeat', {}, { token: oldToken })).status).toBe(200);

    const res = await t.api.post(
      `/instances/${instance.id}/regenerate-token`,
      undefined,
      auth(ann),
    );
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['instance_token']);
    const newToken: string = res.body.instance_token;
    expect(newToken).not.toBe(oldToken);
    expect(wg.peers.has(key)).toBe(false);
    expect(wg.calls.at(-1)).toEqual({ op: 'remove', publicKey: key });

    const old = await t.api.post('/tunnel/heartbeat', {}, { token: oldToken });
    expect(old.status).toBe(401);
    expect(old.body.error.code).toBe('UNAUTHORIZED');
    expect((await t.api.get('/tunnel/status', { token: oldToken })).status).toBe(401);

    // The new token must register again, and keeps the instance's tunnel IP.
    const hb = await t.api.post('/tunnel/heartbeat', {}, { token: newToken });
    expect(hb.status).toBe(409);
    expect(hb.body.error.code).toBe('TUNNEL_NOT_REGISTERED');
    const newKey = await register(newToken);
    expect(wg.peers.get(newKey)).toBe(instance.tunnel_ip);
  });

  it('answers 404 NOT_FOUND for another user’s instance; its token keeps working', async () => {
    const ann = await createAccount(t);
    const bob = await createAccount(t);
    const { instance, credentials } = await createInstance(t, ann, fresh());
    const key = await register(credentials.instance_token);
    const res = await t.api.post(
      `/instances/${instance.id}/regenerate-token`,
      undefined,
      auth(bob),
    );
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect(wg.peers.get(key)).toBe(instance.tunnel_ip);
    expect(
      (await t.api.post('/tunnel/heartbeat', {}, { token: credentials.instance_token })).status,
    ).toBe(200);
  });

  it('answers 401 without a user token (an instance token cannot regenerate itself)', async () => {
    const ann = await createAccount(t);
    const { instance, credentials } = await createInstance(t, ann, fresh());
    const res = await t.api.post(`/instances/${instance.id}/regenerate-token`, undefined, {
      token: credentials.instance_token,
    });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
  });
});

describe('GET /subdomains/check', () => {
  it('answers available: true for a free subdomain, in seed 003’s shape', async () => {
    const ann = await createAccount(t);
    const sub = fresh('myfiles');
    const res = await t.api.get(`/subdomains/check?subdomain=${sub}`, auth(ann));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ subdomain: sub, available: true });
  });

  it('answers available: false with free suggestions for a taken subdomain', async () => {
    const ann = await createAccount(t);
    await setPlan(t, ann, 'business');
    const sub = fresh('myfiles');
    await createInstance(t, ann, sub);
    await createInstance(t, ann, `${sub}-share`);
    const res = await t.api.get(`/subdomains/check?subdomain=${sub.toUpperCase()}`, auth(ann));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      subdomain: sub,
      available: false,
      reason: 'taken',
      suggestions: [`${sub}1`, `${sub}${new Date().getUTCFullYear()}`, `${sub}2`],
    });
  });

  it('answers available: false, reason reserved, for a reserved word', async () => {
    const ann = await createAccount(t);
    const res = await t.api.get('/subdomains/check?subdomain=dashboard', auth(ann));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      subdomain: 'dashboard',
      available: false,
      reason: 'reserved',
    });
    expect(res.body.suggestions).toEqual(['dashboard1', 'dashboard-share', expect.any(String)]);
  });

  it('answers 422 for a missing or invalid subdomain and 401 without a token', async () => {
    const ann = await createAccount(t);
    for (const q of [
      '',
      '?subdomain=',
      '?subdomain=a_b',
      '?subdomain=ab',
      '?subdomain=x&other=1',
    ]) {
      const res = await t.api.get(`/subdomains/check${q}`, auth(ann));
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    }
    const anon = await t.api.get('/subdomains/check?subdomain=freebie');
    expect(anon.status).toBe(401);
  });
});

describe('tunnel address pool', () => {
  it('answers 503 SERVICE_UNAVAILABLE when TUNNEL_CIDR has no free address, creating nothing', async () => {
    // A /30 holds network, server, one client and broadcast.
    const tiny = await startTestRelay({ env: { TUNNEL_CIDR: '10.99.0.0/30' } });
    try {
      const ann = await createAccount(tiny);
      await setPlan(tiny, ann, 'business');
      const first = await createInstance(tiny, ann, 'only-one');
      expect(first.instance.tunnel_ip).toBe('10.99.0.2');
      const res = await tiny.api.post(
        '/instances',
        { name: 'No room', subdomain: 'no-room' },
        { token: ann.accessToken },
      );
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('SERVICE_UNAVAILABLE');
      expect(await tiny.relay.services.store.instances.count()).toBe(1);
      // Deleting the instance frees its address for the next one.
      await tiny.api.delete(`/instances/${first.instance.id}`, { token: ann.accessToken });
      const next = await createInstance(tiny, ann, 'no-room');
      expect(next.instance.tunnel_ip).toBe('10.99.0.2');
    } finally {
      await tiny.stop();
    }
  });
});

describe('rate limit on GET /subdomains/check', () => {
  it('answers 429 RATE_LIMITED with Retry-After past the per-user budget, other users unaffected', async () => {
    const limited = await startTestRelayForTest({
      rateLimits: { subdomainCheckPerUser: { points: 3, durationSeconds: 60 } },
    });
    const ann = await createAccount(limited);
    const bob = await createAccount(limited);
    const check = (a: TestAccount) =>
      limited.api.get('/subdomains/check?subdomain=typing-fast', { token: a.accessToken });
    for (let i = 0; i < 3; i++) expect((await check(ann)).status).toBe(200);
    const res = await check(ann);
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('RATE_LIMITED');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await check(bob)).status).toBe(200);
  });
});

describe('reserved LDH labels (RFC 5891 §4.2.3.1)', () => {
  // `xn--` labels are IDN A-labels a browser may show as a look-alike of a brand's name.
  const reserved = ['xn--pple-43d', 'XN--80AK6AA92E', 'ab--cd', 'a1--b'];
  const rule = /3rd and 4th places.*xn--/;

  it.each(reserved)(
    'refuses "%s" on create with VALIDATION_ERROR, creating nothing',
    async (sub) => {
      const { ann, res } = await createWith(sub);
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(res.body.error.details.fields.subdomain).toMatch(rule);
      expect(await instancesOf(ann)).toEqual([]);
    },
  );

  it('refuses one as a new subdomain of an existing instance, changing nothing', async () => {
    const ann = await createAccount(t);
    const sub = fresh();
    const { instance } = await createInstance(t, ann, sub);
    const res = await t.api.patch(
      `/instances/${instance.id}`,
      { subdomain: 'xn--e1afmkfd' },
      auth(ann),
    );
    expect(res.status).toBe(422);
    expect(res.body.error.details.fields.subdomain).toMatch(rule);
    expect(await store().instances.get(instance.id)).toMatchObject({ subdomain: sub });
  });

  it('answers the check endpoint with VALIDATION_ERROR, not "available"', async () => {
    const ann = await createAccount(t);
    const res = await t.api.get('/subdomains/check?subdomain=xn--80ak6aa92e', auth(ann));
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.details.fields.subdomain).toMatch(rule);
  });

  it('still accepts hyphens elsewhere, and never suggests a reserved label', async () => {
    const ann = await createAccount(t);
    await setPlan(t, ann, 'business');
    const sub = `a-b--c${++seq}`;
    expect((await createInstance(t, ann, sub)).instance.subdomain).toBe(sub);
    const res = await t.api.get(`/subdomains/check?subdomain=${sub}`, auth(ann));
    expect(res.body.available).toBe(false);
    expect(res.body.suggestions.length).toBeGreaterThan(0);
    for (const s of res.body.suggestions) expect(s.slice(2, 4)).not.toBe('--');
  });
});
