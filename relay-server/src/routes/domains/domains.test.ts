import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAccount,
  createInstance,
  manualClock,
  setPlan,
  type ManualClock,
  startTestRelay,
  type TestAccount,
  type TestRelay,
} from '../../testing/index.js';
import { startTestRelayForTest, useDnsRelay } from '../../testing/relayFixtures.js';

const ctx = useDnsRelay();

let seq = 0;
const stamp = Date.now().toString(36);
/** A subdomain no other test in this file uses. */
const freshSub = (stem = 'dom') => `${stem}${++seq}x${stamp}`;
/** A customer domain no other test in this file uses. */
const freshDomain = (label = 'share') => `${label}.ex${++seq}${stamp}.com`;
const auth = (a: TestAccount) => ({ token: a.accessToken });
const store = () => ctx.t.relay.services.store;
const target = (instanceId: string) => `${instanceId}.tunnel.cloud.test`;

/** A verified account on `plan` with one instance. */
async function owner(plan: 'free' | 'pro' | 'business' = 'pro') {
  const account = await createAccount(ctx.t);
  await setPlan(ctx.t, account, plan);
  const { instance } = await createInstance(ctx.t, account, freshSub());
  return { account, id: instance.id };
}

const add = (a: TestAccount, instanceId: string, domain: string) =>
  ctx.t.api.post(`/instances/${instanceId}/domains`, { domain }, auth(a));
const verify = (a: TestAccount, instanceId: string, domain: string) =>
  ctx.t.api.post(`/instances/${instanceId}/domains/${domain}/verify`, undefined, auth(a));

/** A Pro owner who has added a fresh domain; no DNS record yet. */
async function ownerWithDomain() {
  const o = await owner('pro');
  const domain = freshDomain();
  await add(o.account, o.id, domain);
  return { ...o, domain };
}
/** A Pro owner whose fresh domain is verified by a CNAME to its instance. */
async function ownerWithVerifiedDomain() {
  const o = await ownerWithDomain();
  ctx.dns.set(o.domain, 'CNAME', target(o.id));
  await verify(o.account, o.id, o.domain);
  return o;
}

describe('POST /instances/:instance_id/domains', () => {
  it('adds a domain and answers seed 003’s CNAME instructions', async () => {
    const { account, id } = await owner('pro');
    const domain = freshDomain('share');
    const res = await add(account, id, domain);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      domain,
      status: 'pending_verification',
      verification: {
        type: 'CNAME',
        name: 'share',
        value: target(id),
        instructions: 'Add this CNAME record to your DNS provider',
      },
      // Unverified claims lapse after DOMAIN_PENDING_TTL_H (72 h by default).
      expires_at: expect.stringMatching(/Z$/),
    });
    const hours = (Date.parse(res.body.expires_at) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(71.9);
    expect(hours).toBeLessThanOrEqual(72);
    expect(await store().domains.get(domain)).toMatchObject({
      instanceId: id,
      userId: account.id,
      status: 'pending_verification',
    });
  });

  it('normalises the domain (case, trailing dot) and names a deep record relative to its zone', async () => {
    const { account, id } = await owner('business');
    const zone = `ex${++seq}${stamp}.co.uk`;
    const res = await add(account, id, `Files.Team.${zone.toUpperCase()}.`);
    expect(res.status).toBe(201);
    expect(res.body.domain).toBe(`files.team.${zone}`);
    expect(res.body.verification.name).toBe('files.team');
  });

  it('tells how to point a zone apex, where a plain CNAME is not allowed', async () => {
    const { account, id } = await owner('pro');
    const apex = `ex${++seq}${stamp}.com`;
    const res = await add(account, id, apex);
    expect(res.status).toBe(201);
    expect(res.body.verification).toMatchObject({ type: 'CNAME', name: '@', value: target(id) });
    expect(res.body.verification.instructions).toMatch(/ALIAS|ANAME|flattening/);
  });

  it('answers 402 SUBSCRIPTION_REQUIRED on the Free plan and stores nothing', async () => {
    const { account, id } = await owner('free');
    const domain = freshDomain();
    const res = await add(account, id, domain);
    expect(res.status).toBe(402);
    expect(res.body.error).toMatchObject({
      code: 'SUBSCRIPTION_REQUIRED',
      details: { plan: 'free' },
    });
    expect(await store().domains.get(domain)).toBeNull();
  });

  it.each([
    ['pro', 1],
    ['business', 5],
  ] as const)(
    'allows %s %i domain(s) per instance, then answers 403 LIMIT_EXCEEDED',
    async (plan, limit) => {
      const { account, id } = await owner(plan);
      for (let i = 0; i < limit; i++)
        expect((await add(account, id, freshDomain())).status).toBe(201);
      const over = freshDomain();
      const res = await add(account, id, over);
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject({
        code: 'LIMIT_EXCEEDED',
        details: { plan, limit, resource: 'domains' },
      });
      expect(await store().domains.get(over)).toBeNull();
      expect(await store().domains.listByInstance(id)).toHaveLength(limit);
      // The limit is per instance: another instance of the same account has its own.
      const second = await createInstance(ctx.t, account, freshSub());
      expect((await add(account, second.instance.id, over)).status).toBe(201);
    },
  );

  it('answers 409 DOMAIN_ALREADY_EXISTS for a domain another user (or instance) has, changing nothing', async () => {
    const ann = await owner('business');
    const bob = await owner('business');
    const domain = freshDomain();
    expect((await add(ann.account, ann.id, domain)).status).toBe(201);
    const theirs = await add(bob.account, bob.id, domain.toUpperCase());
    expect(theirs.status).toBe(409);
    expect(theirs.body.error).toMatchObject({ code: 'DOMAIN_ALREADY_EXISTS', details: { domain } });
    const second = await createInstance(ctx.t, ann.account, freshSub());
    const again = await add(ann.account, second.instance.id, domain);
    expect(again.status).toBe(409);
    // Moving a name between one's own instances goes the same way: point the CNAME, add again.
    expect(again.body.error.message).toMatch(
      new RegExp(`on another of your instances.*CNAME record to ${target(second.instance.id)}`),
    );
    expect(await store().domains.get(domain)).toMatchObject({
      instanceId: ann.id,
      userId: ann.account.id,
    });
    expect(await store().domains.listByInstance(bob.id)).toEqual([]);
  });

  it('answers 404 NOT_FOUND for another user’s instance and stores nothing', async () => {
    const ann = await owner('pro');
    const bob = await owner('pro');
    const domain = freshDomain();
    const res = await add(bob.account, ann.id, domain);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect(await store().domains.get(domain)).toBeNull();
  });

  it.each([
    ['not a domain', 'not a domain'],
    ['a single label', 'localhost'],
    ['an IP address', '192.0.2.1'],
    ['an underscore', 'a_b.example.com'],
    [
      'a 254-character name',
      `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.example.com`,
    ],
    ['a number', 42],
    ['the relay’s own base domain', 'cloud.test'],
    ['a name under the relay’s base domain', 'evil.cloud.test'],
  ])('answers 422 VALIDATION_ERROR for %s, storing nothing', async (_what, domain) => {
    const { account, id } = await owner('pro');
    const res = await ctx.t.api.post(`/instances/${id}/domains`, { domain }, auth(account));
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(res.body.error.details.fields).toHaveProperty('domain');
    expect(await store().domains.listByInstance(id)).toEqual([]);
  });

  it('answers 422 for a missing field or an extra one, and 401 without a token', async () => {
    const { account, id } = await owner('pro');
    for (const body of [{}, { domain: freshDomain(), ssl: 'off' }, '{"domain":']) {
      const res = await ctx.t.api.post(`/instances/${id}/domains`, body, auth(account));
      expect(res.status).toBe(422);
    }
    const anon = await ctx.t.api.post(`/instances/${id}/domains`, { domain: freshDomain() });
    expect(anon.status).toBe(401);
    expect(await store().domains.listByInstance(id)).toEqual([]);
  });
});

describe('GET /instances/:instance_id/domains', () => {
  it('lists the instance’s domains with seed 003’s fields, plus the CNAME to create', async () => {
    const { account, id } = await owner('business');
    const verified = freshDomain('share');
    const pending = freshDomain('files');
    await add(account, id, verified);
    await add(account, id, pending);
    ctx.dns.set(verified, 'CNAME', target(id));
    expect((await verify(account, id, verified)).status).toBe(200);

    const res = await ctx.t.api.get(`/instances/${id}/domains`, auth(account));
    expect(res.status).toBe(200);
    expect(res.body.domains).toEqual([
      {
        domain: verified,
        status: 'verified',
        ssl_status: 'provisioning',
        verified_at: expect.stringMatching(/Z$/),
        verification: expect.objectContaining({ type: 'CNAME', value: target(id) }),
        error: null,
        expires_at: null,
      },
      {
        domain: pending,
        status: 'pending_verification',
        ssl_status: 'pending',
        verified_at: null,
        verification: expect.objectContaining({ name: 'files', value: target(id) }),
        error: null,
        expires_at: expect.stringMatching(/Z$/),
      },
    ]);
  });

  it('answers an empty list for an instance without domains', async () => {
    const { account, id } = await owner('free');
    const res = await ctx.t.api.get(`/instances/${id}/domains`, auth(account));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ domains: [] });
  });

  it('answers 404 NOT_FOUND for another user’s instance, showing none of its domains', async () => {
    const ann = await owner('pro');
    const bob = await owner('pro');
    const domain = freshDomain();
    await add(ann.account, ann.id, domain);
    const res = await ctx.t.api.get(`/instances/${ann.id}/domains`, auth(bob.account));
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect(res.text).not.toContain(domain);
    expect((await ctx.t.api.get(`/instances/${ann.id}/domains`)).status).toBe(401);
  });
});

describe('POST /instances/:instance_id/domains/:domain/verify', () => {
  it('verifies a domain whose CNAME points at the instance, asking the configured DNS server', async () => {
    const { account, id, domain } = await ownerWithDomain();
    ctx.dns.set(domain, 'CNAME', `${target(id).toUpperCase()}.`);
    const res = await verify(account, id, domain);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ domain, status: 'verified', ssl_status: 'provisioning' });
    expect(ctx.dns.queries).toContainEqual({ name: domain, type: 'CNAME' });
    expect(await store().domains.get(domain)).toMatchObject({
      status: 'verified',
      verifiedAt: expect.any(String),
      lastError: null,
    });
    const detail = await ctx.t.api.get(`/instances/${id}`, auth(account));
    expect(detail.body.custom_domain).toBe(domain);
  });

  it('keeps the first verified_at when verified again', async () => {
    const { account, id, domain } = await ownerWithVerifiedDomain();
    const first = (await store().domains.get(domain))?.verifiedAt;
    await new Promise((r) => setTimeout(r, 5));
    expect((await verify(account, id, domain)).body.status).toBe('verified');
    expect((await store().domains.get(domain))?.verifiedAt).toBe(first);
  });

  it.each([
    ['no record at all (NXDOMAIN)', (_d: string) => undefined],
    ['a name with only an A record (no data)', (d: string) => ctx.dns.set(d, 'A', '192.0.2.10')],
  ])(
    'answers 200 pending_verification, error "CNAME record not found", for %s',
    async (_what, arrange) => {
      const { account, id, domain } = await ownerWithDomain();
      arrange(domain);
      const res = await verify(account, id, domain);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        domain,
        status: 'pending_verification',
        error: 'CNAME record not found',
      });
      expect(await store().domains.get(domain)).toMatchObject({
        status: 'pending_verification',
        lastError: 'CNAME record not found',
      });
      const list = await ctx.t.api.get(`/instances/${id}/domains`, auth(account));
      expect(list.body.domains[0].error).toBe('CNAME record not found');
    },
  );

  it('answers 400 DNS_VERIFICATION_FAILED with expected and found for a CNAME pointing elsewhere', async () => {
    const { account, id } = await owner('pro');
    const other = await owner('pro');
    const domain = freshDomain();
    await add(account, id, domain);
    // Pointing at someone else's instance must not verify.
    ctx.dns.set(domain, 'CNAME', target(other.id));
    const res = await verify(account, id, domain);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'DNS_VERIFICATION_FAILED',
      details: { domain, expected: target(id), found: [target(other.id)] },
    });
    expect(res.body.error.message).toContain(target(id));
    expect(await store().domains.get(domain)).toMatchObject({ status: 'pending_verification' });
  });

  it('takes a verified domain back to pending when its CNAME is moved away', async () => {
    const { account, id, domain } = await ownerWithVerifiedDomain();
    ctx.dns.set(domain, 'CNAME', 'somewhere.else.example');
    const res = await verify(account, id, domain);
    expect(res.status).toBe(400);
    expect(res.body.error.details.found).toEqual(['somewhere.else.example']);
    expect(await store().domains.get(domain)).toMatchObject({
      status: 'pending_verification',
      verifiedAt: null,
    });
  });

  it.each([
    ['fails (SERVFAIL)', 'servfail', 'ESERVFAIL'],
    ['does not answer at all', 'timeout', 'ETIMEOUT'],
  ] as const)(
    'answers 200 pending with a reason when the DNS server %s',
    async (_, failure, code) => {
      const { account, id, domain } = await ownerWithDomain();
      ctx.dns.set(domain, 'CNAME', target(id));
      ctx.dns.simulate(failure, domain);
      const started = Date.now();
      const res = await verify(account, id, domain);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        domain,
        status: 'pending_verification',
        error: expect.stringMatching(new RegExp(`DNS lookup failed \\(${code}\\).*try again`)),
      });
      // The configured resolver gives up after its own timeout (2 s, 2 tries), not the client's.
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(await store().domains.get(domain)).toMatchObject({ status: 'pending_verification' });
    },
  );

  it('keeps a verified domain verified when the DNS server fails transiently', async () => {
    const { account, id, domain } = await ownerWithVerifiedDomain();
    const before = await store().domains.get(domain);
    ctx.dns.simulate('servfail', domain);
    const res = await verify(account, id, domain);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ domain, status: 'verified', ssl_status: 'provisioning' });
    expect(res.body.error).toMatch(/ESERVFAIL/);
    expect(await store().domains.get(domain)).toMatchObject({
      status: 'verified',
      verifiedAt: before?.verifiedAt,
    });
  });

  it('answers 404 NOT_FOUND for another user’s domain, or a domain of another instance, changing nothing', async () => {
    const ann = await ownerWithDomain();
    const bob = await owner('pro');
    const { domain } = ann;
    ctx.dns.set(domain, 'CNAME', target(ann.id));
    const asBob = await verify(bob.account, ann.id, domain);
    expect(asBob.status).toBe(404);
    const viaBobsInstance = await verify(bob.account, bob.id, domain);
    expect(viaBobsInstance.status).toBe(404);
    const second = await createInstance(ctx.t, ann.account, freshSub());
    const wrongInstance = await verify(ann.account, second.instance.id, domain);
    expect(wrongInstance.status).toBe(404);
    expect(wrongInstance.body.error.code).toBe('NOT_FOUND');
    expect(await store().domains.get(domain)).toMatchObject({
      status: 'pending_verification',
      lastCheckedAt: null,
    });
    const unknown = await verify(ann.account, ann.id, freshDomain());
    expect(unknown.status).toBe(404);
  });

  it('answers 422 for a malformed domain in the path and 401 without a token', async () => {
    const { account, id } = await owner('pro');
    const bad = await verify(account, id, 'not_a_domain');
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.fields).toHaveProperty('domain');
    const anon = await ctx.t.api.post(`/instances/${id}/domains/${freshDomain()}/verify`);
    expect(anon.status).toBe(401);
  });
});

describe('DELETE /instances/:instance_id/domains/:domain', () => {
  it('answers 204 and frees the domain for anyone to add', async () => {
    const ann = await ownerWithVerifiedDomain();
    const bob = await owner('pro');
    const { domain } = ann;
    const res = await ctx.t.api.delete(`/instances/${ann.id}/domains/${domain}`, auth(ann.account));
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect((await ctx.t.api.get(`/instances/${ann.id}/domains`, auth(ann.account))).body).toEqual({
      domains: [],
    });
    expect(
      (await ctx.t.api.get(`/instances/${ann.id}`, auth(ann.account))).body.custom_domain,
    ).toBe(null);
    expect((await add(bob.account, bob.id, domain)).status).toBe(201);
  });

  it('answers 404 NOT_FOUND for another user’s domain and keeps it', async () => {
    const ann = await owner('pro');
    const bob = await owner('pro');
    const domain = freshDomain();
    await add(ann.account, ann.id, domain);
    for (const instanceId of [ann.id, bob.id]) {
      const res = await ctx.t.api.delete(
        `/instances/${instanceId}/domains/${domain}`,
        auth(bob.account),
      );
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
    expect(await store().domains.get(domain)).toMatchObject({ instanceId: ann.id });
  });

  it('answers 404 for an unknown domain and 401 without a token', async () => {
    const { account, id, domain } = await ownerWithDomain();
    const unknown = await ctx.t.api.delete(
      `/instances/${id}/domains/${freshDomain()}`,
      auth(account),
    );
    expect(unknown.status).toBe(404);
    const anon = await ctx.t.api.delete(`/instances/${id}/domains/${domain}`);
    expect(anon.status).toBe(401);
    expect(await store().domains.get(domain)).not.toBeNull();
  });
});

describe('ownership is proven by DNS, not by who asked first', () => {
  const HOUR = 3_600_000;
  let r: TestRelay;
  let clock: ManualClock;
  beforeAll(async () => {
    // Starts at the real time: the store prunes expired email tokens by wall-clock time.
    clock = manualClock();
    // No timer: each test runs the scheduled pass itself, at the time it set.
    r = await startTestRelay({
      clock,
      env: { DNS_SERVERS: ctx.dns.address, DOMAIN_REVERIFY_INTERVAL_S: '0' },
    });
  });
  afterAll(async () => {
    await r.stop();
  });

  /**
   * The store without its email tokens: a snapshot the store's own timer writes prunes those
   * that expired by this test's clock (moved days ahead) whenever it falls due, even between
   * two reads around one request that touches no token.
   */
  async function stateBesidesEmailTokens() {
    const { emailTokens: _pruned, ...rest } = await r.relay.services.store.dump();
    return rest;
  }

  /** A verified account on Pro with one instance, on this relay. */
  async function member(plan: 'pro' | 'business' = 'pro') {
    const account = await createAccount(r);
    await setPlan(r, account, plan);
    const { instance } = await createInstance(r, account, freshSub('own'));
    return { account, id: instance.id };
  }
  type Member = Awaited<ReturnType<typeof member>>;
  /** Move the clock on; access tokens last 15 min, so sign the members in again. */
  async function advance(ms: number, ...members: Member[]) {
    clock.advance(ms);
    for (const m of members) {
      const login = await r.api.post('/auth/login', {
        email: m.account.email,
        password: m.account.password,
      });
      expect(login.status).toBe(200);
      m.account.accessToken = login.body.access_token;
    }
  }
  const addAs = (m: Member, domain: string) =>
    r.api.post(`/instances/${m.id}/domains`, { domain }, auth(m.account));
  const listOf = async (m: Member) => {
    const res = await r.api.get(`/instances/${m.id}/domains`, auth(m.account));
    expect(res.status).toBe(200);
    return res.body.domains as Record<string, unknown>[];
  };
  const held = (domain: string) => r.relay.services.store.domains.get(domain);
  const releasesOf = (m: Member) => r.relay.services.store.domains.listReleases(m.id);
  const verifyAs = (m: Member, domain: string, instanceId = m.id) =>
    r.api.post(`/instances/${instanceId}/domains/${domain}/verify`, undefined, auth(m.account));
  const removeAs = (m: Member, domain: string, instanceId = m.id) =>
    r.api.delete(`/instances/${instanceId}/domains/${domain}`, auth(m.account));
  /** Ann and Bob, each a Pro member, and a name neither has claimed yet. */
  const annBobAndADomain = async () => ({
    ann: await member(),
    bob: await member(),
    domain: freshDomain(),
  });
  /** `m` adds `domain` and proves it with a CNAME to its instance. */
  async function addVerified(m: Member, domain: string) {
    await addAs(m, domain);
    ctx.dns.set(domain, 'CNAME', target(m.id));
    await verifyAs(m, domain);
  }

  it('answers when a pending claim lapses, in the add answer and in the list', async () => {
    const ann = await member();
    const domain = freshDomain();
    const res = await addAs(ann, domain);
    expect(res.status).toBe(201);
    const expiry = new Date(clock.now().getTime() + 72 * HOUR).toISOString();
    expect(res.body.expires_at).toBe(expiry);
    expect((await listOf(ann))[0]).toMatchObject({ domain, expires_at: expiry });
  });

  it('frees a pending claim after 72 h: another account may add it, and the first owner is told', async () => {
    const { ann, bob, domain } = await annBobAndADomain();
    expect((await addAs(ann, domain)).status).toBe(201);
    await advance(72 * HOUR - 60_000, ann, bob);
    expect((await addAs(bob, domain)).status).toBe(409);
    await advance(60_000, ann, bob);
    const res = await addAs(bob, domain);
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('pending_verification');
    expect(await held(domain)).toMatchObject({ instanceId: bob.id, userId: bob.account.id });

    const [entry, ...rest] = await listOf(ann);
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({
      domain,
      status: 'released',
      release_reason: 'expired',
      released_at: clock.now().toISOString(),
      expires_at: null,
      verification: expect.objectContaining({ value: target(ann.id) }),
    });
    expect(entry?.error).toMatch(
      /did not point to .* before the claim expired.*Add the domain again/,
    );
    // The owner dismisses the entry; it is gone, and Bob's claim is untouched.
    const dismiss = await removeAs(ann, domain);
    expect(dismiss.status).toBe(204);
    expect(await listOf(ann)).toEqual([]);
    expect(await held(domain)).toMatchObject({ instanceId: bob.id });
    const again = await removeAs(ann, domain);
    expect(again.status).toBe(404);
  });

  it('releases lapsed claims in the scheduled pass, and when their owner verifies or lists them', async () => {
    const ann = await member('business');
    const byPass = freshDomain();
    expect((await addAs(ann, byPass)).status).toBe(201);
    await advance(72 * HOUR, ann);
    await r.relay.reverification.runOnce();
    expect(await held(byPass)).toBeNull();

    const [byVerify, byList] = [freshDomain(), freshDomain()];
    for (const d of [byVerify, byList]) expect((await addAs(ann, d)).status).toBe(201);
    await advance(72 * HOUR, ann);
    // Verifying a lapsed claim says what happened instead of reviving it.
    const verifyRes = await verifyAs(ann, byVerify);
    expect(verifyRes.status).toBe(404);
    expect(verifyRes.body.error.message).toMatch(/expired.*Add the domain again/);
    expect(await held(byVerify)).toBeNull();
    expect(await held(byList)).not.toBeNull();
    const list = await listOf(ann);
    expect(await held(byList)).toBeNull();
    expect(list.map((d) => [d.domain, d.status, d.release_reason])).toEqual([
      [byPass, 'released', 'expired'],
      [byVerify, 'released', 'expired'],
      [byList, 'released', 'expired'],
    ]);
  });

  it('lets the same instance claim a lapsed name again with a new expiry and no released entry', async () => {
    const ann = await member();
    const domain = freshDomain();
    await addAs(ann, domain);
    await advance(80 * HOUR, ann);
    const res = await addAs(ann, domain);
    expect(res.status).toBe(201);
    expect(res.body.expires_at).toBe(new Date(clock.now().getTime() + 72 * HOUR).toISOString());
    expect((await listOf(ann)).map((d) => d.status)).toEqual(['pending_verification']);
  });

  it('treats a claim stored before claims expired as lapsing 72 h after it was made', async () => {
    const { ann, bob, domain } = await annBobAndADomain();
    const made = new Date(clock.now().getTime() - 73 * HOUR).toISOString();
    await r.relay.services.store.domains.create(
      {
        domain,
        instanceId: ann.id,
        userId: ann.account.id,
        status: 'pending_verification',
        sslStatus: 'pending',
        verifiedAt: null,
        lastCheckedAt: null,
        lastError: null,
        createdAt: made,
      },
      { maxPerInstance: 1 },
    );
    expect((await addAs(bob, domain)).status).toBe(201);
  });

  it('hands a pending name to an account whose CNAME points at its own instance, verified at once', async () => {
    const { ann, bob, domain } = await annBobAndADomain();
    expect((await addAs(ann, domain)).status).toBe(201);
    ctx.dns.set(domain, 'CNAME', target(bob.id));
    const res = await addAs(bob, domain);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ domain, status: 'verified', expires_at: null });
    expect(await held(domain)).toMatchObject({
      instanceId: bob.id,
      status: 'verified',
      verifiedAt: clock.now().toISOString(),
    });
    const entry = (await listOf(ann))[0];
    expect(entry).toMatchObject({
      domain,
      status: 'released',
      release_reason: 'claimed_elsewhere',
    });
    expect(entry?.error).toMatch(/another account proved by DNS.*point its CNAME to/);
    expect(entry?.error).toContain(target(ann.id));
    // Ann's old claim answers nothing any more.
    const verifyRes = await verifyAs(ann, domain);
    expect(verifyRes.status).toBe(404);
  });

  it('refuses a takeover the DNS does not prove, with 409 saying how to take the name over', async () => {
    const { ann, bob, domain } = await annBobAndADomain();
    await addAs(ann, domain);
    for (const arrange of [
      () => ctx.dns.remove(domain), // no record
      () => ctx.dns.set(domain, 'CNAME', 'elsewhere.example.net'), // someone else's target
      () => ctx.dns.set(domain, 'CNAME', [target(ann.id), target(bob.id)]), // points at both
    ]) {
      arrange();
      const res = await addAs(bob, domain);
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({
        code: 'DOMAIN_ALREADY_EXISTS',
        details: { domain, expected: target(bob.id) },
      });
      expect(res.body.error.message).toMatch(
        new RegExp(`claimed by another account.*point its CNAME record to ${target(bob.id)}`),
      );
    }
    ctx.dns.simulate('servfail', domain);
    expect((await addAs(bob, domain)).status).toBe(409);
    ctx.dns.simulate(null, domain);
    expect(await held(domain)).toMatchObject({ instanceId: ann.id });
    expect(await releasesOf(ann)).toEqual([]);
  });

  it('counts a takeover against the plan limit: 403 LIMIT_EXCEEDED, nothing changes', async () => {
    const ann = await member();
    const bob = await member('pro');
    await addAs(bob, freshDomain()); // Pro: one domain per instance
    const domain = freshDomain();
    await addAs(ann, domain);
    ctx.dns.set(domain, 'CNAME', target(bob.id));
    const res = await addAs(bob, domain);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('LIMIT_EXCEEDED');
    expect(await held(domain)).toMatchObject({ instanceId: ann.id });
    expect(await releasesOf(ann)).toEqual([]);
  });

  it('refuses a verified domain to another account even with its CNAME pointing there, through the grace period, changing nothing', async () => {
    const { ann, bob, domain } = await annBobAndADomain();
    await addVerified(ann, domain);
    expect(await held(domain)).toMatchObject({ status: 'verified' });
    ctx.dns.set(domain, 'CNAME', target(bob.id));
    const refusedWhile = async (releaseAt: string | null) => {
      const before = await stateBesidesEmailTokens();
      const res = await addAs(bob, domain);
      expect(res.status, res.text).toBe(409);
      expect(res.body.error).toMatchObject({
        code: 'DOMAIN_ALREADY_EXISTS',
        details: { domain, expected: target(bob.id), release_at: releaseAt },
      });
      expect(res.body.error.message).toMatch(
        /verified by another account\. It is released after the grace period/,
      );
      expect(await stateBesidesEmailTokens()).toEqual(before);
      return res.body.error.message as string;
    };
    // Verified: no takeover, the time is not known until a check sees the CNAME moved.
    expect(await refusedWhile(null)).toContain('168 hours after');
    await r.relay.edge.routes.settled();
    expect(r.relay.edge.routes.resolve(domain)?.instance.instanceId).toBe(ann.id);

    // The scheduled check sees the CNAME moved: Ann keeps the name for the grace period.
    await r.relay.reverification.runOnce();
    const releaseAt = new Date(clock.now().getTime() + 168 * HOUR).toISOString();
    expect(await held(domain)).toMatchObject({
      instanceId: ann.id,
      status: 'pending_verification',
      graceUntil: releaseAt,
    });
    expect(await refusedWhile(releaseAt)).toContain(`at ${releaseAt}`);
    await advance(167 * HOUR, ann, bob);
    expect(await refusedWhile(releaseAt)).toContain(`at ${releaseAt}`);
    expect(await releasesOf(ann)).toEqual([]);
  });

  it('lets another account add a formerly verified domain once its grace period is over, and routes it there', async () => {
    const { ann, bob, domain } = await annBobAndADomain();
    await addVerified(ann, domain);
    ctx.dns.set(domain, 'CNAME', target(bob.id));
    await r.relay.reverification.runOnce();
    await advance(168 * HOUR, ann, bob);
    const res = await addAs(bob, domain);
    expect(res.status, res.text).toBe(201);
    const verify = await verifyAs(bob, domain);
    expect(verify.body).toMatchObject({ domain, status: 'verified' });
    expect(await held(domain)).toMatchObject({ instanceId: bob.id, status: 'verified' });
    await r.relay.edge.routes.settled();
    expect(r.relay.edge.routes.resolve(domain)?.instance.instanceId).toBe(bob.id);
    expect((await listOf(ann))[0]).toMatchObject({ status: 'released', release_reason: 'expired' });
  });

  it('keeps a verified domain whose CNAME moved for the 7-day grace, then releases it', async () => {
    const { ann, bob, domain } = await annBobAndADomain();
    await addVerified(ann, domain);
    ctx.dns.set(domain, 'CNAME', 'new-host.example.net');

    await r.relay.reverification.runOnce();
    const moved = clock.now().getTime();
    expect(await held(domain)).toMatchObject({
      status: 'pending_verification',
      expiresAt: new Date(moved + 168 * HOUR).toISOString(),
    });
    // Within the grace period the name stays Ann's; the pending TTL (72 h) does not apply.
    await advance(167 * HOUR, ann, bob);
    await r.relay.reverification.runOnce();
    expect(await held(domain)).toMatchObject({ instanceId: ann.id });
    expect((await addAs(bob, domain)).status).toBe(409);

    await advance(HOUR, ann, bob);
    await r.relay.reverification.runOnce();
    expect(await held(domain)).toBeNull();
    expect((await listOf(ann))[0]).toMatchObject({
      domain,
      status: 'released',
      release_reason: 'expired',
    });
    expect((await listOf(ann))[0]?.error).toContain('new-host.example.net');
    expect((await addAs(bob, domain)).status).toBe(201);
  });

  it('verifies again, with no expiry, when the owner mends the CNAME within the grace period', async () => {
    const ann = await member();
    const domain = freshDomain();
    await addVerified(ann, domain);
    ctx.dns.set(domain, 'CNAME', 'typo.example.net');
    await r.relay.reverification.runOnce();
    await advance(100 * HOUR, ann);
    ctx.dns.set(domain, 'CNAME', target(ann.id));
    await r.relay.reverification.runOnce();
    expect(await held(domain)).toMatchObject({ status: 'verified', expiresAt: null });
    expect((await listOf(ann))[0]).toMatchObject({ status: 'verified', expires_at: null });
  });

  it('answers 404 to removing another user’s released entry, or one never there, keeping it', async () => {
    const { ann, bob, domain } = await annBobAndADomain();
    await addAs(ann, domain);
    ctx.dns.set(domain, 'CNAME', target(bob.id));
    expect((await addAs(bob, domain)).status).toBe(201);
    for (const [who, instanceId] of [
      [bob, ann.id],
      [ann, bob.id],
    ] as const) {
      const res = await removeAs(who, domain, instanceId);
      expect(res.status).toBe(404);
    }
    const unknown = await removeAs(ann, freshDomain());
    expect(unknown.status).toBe(404);
    expect(await releasesOf(ann)).toHaveLength(1);
    expect(await held(domain)).toMatchObject({ instanceId: bob.id });
  });
});

describe('DOMAIN_PENDING_TTL_H', () => {
  it('sets how long an unverified claim holds its name', async () => {
    const clock = manualClock();
    const r = await startTestRelayForTest({
      clock,
      env: {
        DNS_SERVERS: ctx.dns.address,
        DOMAIN_PENDING_TTL_H: '2',
        DOMAIN_REVERIFY_INTERVAL_S: '0',
      },
    });
    const account = await createAccount(r);
    await setPlan(r, account, 'pro');
    const { instance } = await createInstance(r, account, freshSub('ttl'));
    const domain = freshDomain();
    const res = await r.api.post(`/instances/${instance.id}/domains`, { domain }, auth(account));
    expect(res.body.expires_at).toBe(new Date(clock.now().getTime() + 2 * 3_600_000).toISOString());
    clock.advance(2 * 3_600_000);
    await r.relay.reverification.runOnce();
    expect(await r.relay.services.store.domains.get(domain)).toBeNull();
  });
});
