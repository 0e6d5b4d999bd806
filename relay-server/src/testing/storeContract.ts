import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  StoreConflictError,
  StoreLimitError,
  type DomainRecord,
  type DomainReleaseRecord,
  type EmailTokenRecord,
  type InstanceRecord,
  type RefreshTokenRecord,
  type Store,
  type UserRecord,
} from '../store/types.js';

/** A store under test and how to throw it away (close it, remove its files or schema). */
export interface StoreFixture {
  store: Store;
  dispose(): Promise<void>;
}

let serial = 0;
const next = () => (serial += 1);
const iso = (ms: number) => new Date(Date.UTC(2030, 0, 1) + ms).toISOString();

/** Record builders with unique keys; tests override the fields they are about. */
export const records = {
  user(over: Partial<UserRecord> = {}): UserRecord {
    const n = next();
    return {
      id: `usr_contract${n}`,
      email: `user${n}@example.test`,
      name: `User ${n}`,
      passwordHash: `$argon2id$v=19$m=19456,t=2,p=1$hash${n}`,
      createdAt: iso(n),
      emailVerifiedAt: null,
      acceptMarketing: false,
      termsAcceptedAt: iso(n),
      clientVersion: null,
      stripeCustomerId: null,
      subscription: null,
      ...over,
    };
  },
  instance(userId: string, over: Partial<InstanceRecord> = {}): InstanceRecord {
    const n = next();
    return {
      id: `inst_contract${n}`,
      userId,
      name: `Instance ${n}`,
      subdomain: `sub${n}`,
      tunnelIp: `10.100.${Math.floor(n / 250)}.${(n % 250) + 2}`,
      tokenId: `tok${n}`,
      publicKey: null,
      targetPort: null,
      status: 'pending',
      registeredAt: null,
      lastSeen: null,
      createdAt: iso(n),
      ...over,
    };
  },
  domain(instance: InstanceRecord, over: Partial<DomainRecord> = {}): DomainRecord {
    const n = next();
    return {
      domain: `app${n}.example.test`,
      instanceId: instance.id,
      userId: instance.userId,
      status: 'pending_verification',
      sslStatus: 'pending',
      verifiedAt: null,
      lastCheckedAt: null,
      lastError: null,
      createdAt: iso(n),
      ...over,
    };
  },
  release(domain: DomainRecord, over: Partial<DomainReleaseRecord> = {}): DomainReleaseRecord {
    const n = next();
    return {
      domain: domain.domain,
      instanceId: domain.instanceId,
      userId: domain.userId,
      reason: 'claimed_elsewhere',
      releasedAt: iso(n),
      lastError: null,
      ...over,
    };
  },
  refreshToken(userId: string, over: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
    const n = next();
    return {
      id: `rt${n}`,
      familyId: `fam${n}`,
      userId,
      createdAt: iso(n),
      expiresAt: iso(n + 7 * 86_400_000),
      usedAt: null,
      revokedAt: null,
      ...over,
    };
  },
  emailToken(userId: string, over: Partial<EmailTokenRecord> = {}): EmailTokenRecord {
    const n = next();
    return {
      hash: `hash${n}`,
      userId,
      purpose: 'verify',
      createdAt: iso(0),
      expiresAt: iso(3_600_000),
      usedAt: null,
      ...over,
    };
  },
};

const key = (n: number) => Buffer.alloc(32, n).toString('base64');

/** Resolves to the error a promise rejected with (fails the test if it resolved). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

async function expectConflict(p: Promise<unknown>, field: string): Promise<void> {
  const e = await rejection(p);
  expect(e).toBeInstanceOf(StoreConflictError);
  expect((e as StoreConflictError).field).toBe(field);
}

/**
 * The behaviour every Store must have, as a vitest suite. Run it with a function that opens
 * a fresh, empty store: `describeStoreContract('LowdbStore', async () => …)`. A PostgreSQL
 * store passes when this suite passes against it unchanged.
 */
export function describeStoreContract(name: string, openStore: () => Promise<StoreFixture>) {
  describe(`Store contract: ${name}`, () => {
    let fixture: StoreFixture;
    let store: Store;
    beforeEach(async () => {
      fixture = await openStore();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.dispose();
    });

    describe('users', () => {
      it('creates a user and reads it back by id, email and Stripe customer', async () => {
        const u = records.user({ stripeCustomerId: 'cus_1' });
        expect(await store.users.create(u)).toEqual(u);
        expect(await store.users.get(u.id)).toEqual(u);
        expect(await store.users.findByEmail(u.email)).toEqual(u);
        expect(await store.users.findByStripeCustomer('cus_1')).toEqual(u);
      });

      it('answers null for unknown ids, emails and customers', async () => {
        expect(await store.users.get('usr_nobody')).toBeNull();
        expect(await store.users.findByEmail('nobody@example.test')).toBeNull();
        expect(await store.users.findByStripeCustomer('cus_nobody')).toBeNull();
        expect(await store.users.update('usr_nobody', { name: 'x' })).toBeNull();
      });

      it('refuses a second user with the same email, naming the field, and keeps the first', async () => {
        const first = await store.users.create(records.user({ email: 'same@example.test' }));
        const second = records.user({ email: 'same@example.test' });
        await expectConflict(store.users.create(second), 'email');
        expect(await store.users.get(second.id)).toBeNull();
        expect(await store.users.findByEmail('same@example.test')).toEqual(first);
      });

      it('refuses a second user with the same Stripe customer', async () => {
        await store.users.create(records.user({ stripeCustomerId: 'cus_dup' }));
        const second = records.user({ stripeCustomerId: 'cus_dup' });
        await expectConflict(store.users.create(second), 'stripeCustomerId');
        expect(await store.users.get(second.id)).toBeNull();
      });

      it('refuses a second user with the same id', async () => {
        const u = await store.users.create(records.user());
        await expectConflict(store.users.create(records.user({ id: u.id })), 'id');
        expect(await store.users.get(u.id)).toEqual(u);
      });

      it('updates the given fields, ignores undefined ones and never changes the id', async () => {
        const u = await store.users.create(records.user({ name: 'Before' }));
        const patch = { name: 'After', clientVersion: undefined, id: 'usr_other' };
        const updated = await store.users.update(u.id, patch as Partial<UserRecord>);
        expect(updated).toEqual({ ...u, name: 'After' });
        expect(await store.users.get(u.id)).toEqual({ ...u, name: 'After' });
        expect(await store.users.get('usr_other')).toBeNull();
      });

      it('refuses an update to an email another user has, and changes nothing', async () => {
        const a = await store.users.create(records.user());
        const b = await store.users.create(records.user());
        await expectConflict(store.users.update(b.id, { email: a.email, name: 'X' }), 'email');
        expect(await store.users.get(b.id)).toEqual(b);
        expect(await store.users.findByEmail(a.email)).toEqual(a);
      });

      it('moves the email index with an email change, freeing the old address', async () => {
        const a = await store.users.create(records.user({ email: 'old@example.test' }));
        await store.users.update(a.id, { email: 'new@example.test' });
        expect(await store.users.findByEmail('old@example.test')).toBeNull();
        expect((await store.users.findByEmail('new@example.test'))?.id).toBe(a.id);
        const b = await store.users.create(records.user({ email: 'old@example.test' }));
        expect((await store.users.findByEmail('old@example.test'))?.id).toBe(b.id);
      });

      it('refuses an update to a Stripe customer another user has', async () => {
        await store.users.create(records.user({ stripeCustomerId: 'cus_a' }));
        const b = await store.users.create(records.user());
        await expectConflict(
          store.users.update(b.id, { stripeCustomerId: 'cus_a' }),
          'stripeCustomerId',
        );
        expect(await store.users.get(b.id)).toEqual(b);
        await store.users.update(b.id, { stripeCustomerId: 'cus_b' });
        expect((await store.users.findByStripeCustomer('cus_b'))?.id).toBe(b.id);
      });

      it('hands out copies: changing a result or an argument changes nothing stored', async () => {
        const input = records.user({
          subscription: {
            id: 'sub_1',
            status: 'active',
            priceId: 'price_pro',
            plan: 'pro',
            currentPeriodStart: iso(0),
            currentPeriodEnd: iso(1),
            cancelAtPeriodEnd: false,
            paymentMethodId: null,
            paymentMethod: { brand: 'visa', last4: '4242' },
            sourceEventCreated: 1,
          },
        });
        const expected = structuredClone(input);
        const created = await store.users.create(input);
        input.name = 'changed argument';
        input.subscription!.plan = 'business';
        created.name = 'changed result';
        created.subscription!.paymentMethod!.last4 = '0000';
        const got = await store.users.get(expected.id);
        expect(got).toEqual(expected);
        got!.subscription!.status = 'canceled';
        const byEmail = await store.users.findByEmail(expected.email);
        byEmail!.email = 'x@example.test';
        expect(await store.users.get(expected.id)).toEqual(expected);
        const patch = { subscription: structuredClone(expected.subscription) };
        const updated = await store.users.update(expected.id, patch);
        patch.subscription!.plan = 'free';
        updated!.subscription!.plan = 'free';
        expect(await store.users.get(expected.id)).toEqual(expected);
      });
    });

    describe('refresh tokens', () => {
      it('stores a token and reads it back', async () => {
        const t = records.refreshToken('usr_a');
        await store.refreshTokens.create(t);
        expect(await store.refreshTokens.get(t.id)).toEqual(t);
        expect(await store.refreshTokens.get('rt_nobody')).toBeNull();
      });

      it('lets a token be used once; a second use, an unknown or a revoked token is refused', async () => {
        const t = records.refreshToken('usr_a');
        const revoked = records.refreshToken('usr_a', { revokedAt: iso(5) });
        await store.refreshTokens.create(t);
        await store.refreshTokens.create(revoked);
        expect(await store.refreshTokens.use(t.id, iso(10))).toBe(true);
        expect((await store.refreshTokens.get(t.id))?.usedAt).toBe(iso(10));
        expect(await store.refreshTokens.use(t.id, iso(11))).toBe(false);
        expect((await store.refreshTokens.get(t.id))?.usedAt).toBe(iso(10));
        expect(await store.refreshTokens.use('rt_nobody', iso(10))).toBe(false);
        expect(await store.refreshTokens.use(revoked.id, iso(10))).toBe(false);
      });

      it('gives exactly one of 25 concurrent uses of a token', async () => {
        const t = records.refreshToken('usr_a');
        await store.refreshTokens.create(t);
        const results = await Promise.all(
          Array.from({ length: 25 }, (_, i) => store.refreshTokens.use(t.id, iso(i))),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect((await store.refreshTokens.get(t.id))?.usedAt).toBe(iso(winner));
      });

      it('revokes a whole family and nothing else', async () => {
        const a1 = records.refreshToken('usr_a', { familyId: 'famA' });
        const a2 = records.refreshToken('usr_a', { familyId: 'famA', usedAt: iso(1) });
        const b = records.refreshToken('usr_a', { familyId: 'famB' });
        for (const t of [a1, a2, b]) await store.refreshTokens.create(t);
        await store.refreshTokens.revokeFamily('famA', iso(20));
        expect((await store.refreshTokens.get(a1.id))?.revokedAt).toBe(iso(20));
        expect((await store.refreshTokens.get(a2.id))?.revokedAt).toBe(iso(20));
        expect(await store.refreshTokens.get(b.id)).toEqual(b);
        expect(await store.refreshTokens.use(a1.id, iso(21))).toBe(false);
        expect(await store.refreshTokens.use(b.id, iso(21))).toBe(true);
      });

      it('revokes every token of one user and keeps earlier revocation times', async () => {
        const early = records.refreshToken('usr_a', { revokedAt: iso(3) });
        const a = records.refreshToken('usr_a');
        const other = records.refreshToken('usr_b');
        for (const t of [early, a, other]) await store.refreshTokens.create(t);
        await store.refreshTokens.revokeAllForUser('usr_a', iso(30));
        expect((await store.refreshTokens.get(a.id))?.revokedAt).toBe(iso(30));
        expect((await store.refreshTokens.get(early.id))?.revokedAt).toBe(iso(3));
        expect(await store.refreshTokens.get(other.id)).toEqual(other);
      });

      it('hands out copies of tokens', async () => {
        const t = records.refreshToken('usr_a');
        await store.refreshTokens.create(t);
        const got = await store.refreshTokens.get(t.id);
        got!.revokedAt = iso(1);
        t.usedAt = iso(1);
        expect(await store.refreshTokens.use(t.id, iso(2))).toBe(true);
      });
    });

    describe('email tokens', () => {
      it('consumes a valid token once and returns it marked used', async () => {
        const t = records.emailToken('usr_a');
        await store.emailTokens.create(t);
        const used = await store.emailTokens.consume(t.hash, 'verify', iso(1000));
        expect(used).toEqual({ ...t, usedAt: iso(1000) });
        expect(await store.emailTokens.consume(t.hash, 'verify', iso(1001))).toBeNull();
      });

      it('refuses a token of another purpose and leaves it usable for its own', async () => {
        const t = records.emailToken('usr_a', { purpose: 'reset' });
        await store.emailTokens.create(t);
        expect(await store.emailTokens.consume(t.hash, 'verify', iso(1))).toBeNull();
        expect(await store.emailTokens.consume(t.hash, 'reset', iso(1))).not.toBeNull();
      });

      it('refuses an expired token (at or after expiry) and an unknown one', async () => {
        const t = records.emailToken('usr_a', { expiresAt: iso(5000) });
        await store.emailTokens.create(t);
        expect(await store.emailTokens.consume(t.hash, 'verify', iso(5000))).toBeNull();
        expect(await store.emailTokens.consume(t.hash, 'verify', iso(9000))).toBeNull();
        expect(await store.emailTokens.consume('hash_nobody', 'verify', iso(1))).toBeNull();
      });

      it('gives a token to exactly one of 25 concurrent consumers', async () => {
        const t = records.emailToken('usr_a');
        await store.emailTokens.create(t);
        const results = await Promise.all(
          Array.from({ length: 25 }, () => store.emailTokens.consume(t.hash, 'verify', iso(1))),
        );
        expect(results.filter((r) => r !== null)).toHaveLength(1);
      });

      it('invalidates the unused tokens of one user and purpose only', async () => {
        const mine = records.emailToken('usr_a', { purpose: 'reset' });
        const otherPurpose = records.emailToken('usr_a', { purpose: 'verify' });
        const otherUser = records.emailToken('usr_b', { purpose: 'reset' });
        for (const t of [mine, otherPurpose, otherUser]) await store.emailTokens.create(t);
        await store.emailTokens.invalidateForUser('usr_a', 'reset', iso(7));
        expect(await store.emailTokens.consume(mine.hash, 'reset', iso(8))).toBeNull();
        expect(await store.emailTokens.consume(otherPurpose.hash, 'verify', iso(8))).not.toBeNull();
        expect(await store.emailTokens.consume(otherUser.hash, 'reset', iso(8))).not.toBeNull();
      });

      it('hands out a copy of a consumed token', async () => {
        const t = records.emailToken('usr_a');
        await store.emailTokens.create(t);
        t.usedAt = iso(1); // changing the argument after create changes nothing
        const used = await store.emailTokens.consume(t.hash, 'verify', iso(2));
        expect(used?.usedAt).toBe(iso(2));
        used!.usedAt = null;
        expect(await store.emailTokens.consume(t.hash, 'verify', iso(3))).toBeNull();
      });
    });

    describe('instances', () => {
      it('creates an instance and finds it by id, subdomain and tunnel IP', async () => {
        const i = records.instance('usr_a');
        expect(await store.instances.create(i, { maxPerUser: 10 })).toEqual(i);
        expect(await store.instances.get(i.id)).toEqual(i);
        expect(await store.instances.findBySubdomain(i.subdomain)).toEqual(i);
        expect(await store.instances.findByTunnelIp(i.tunnelIp)).toEqual(i);
        expect(await store.instances.count()).toBe(1);
      });

      it('answers null for unknown ids, subdomains and tunnel IPs', async () => {
        expect(await store.instances.get('inst_nobody')).toBeNull();
        expect(await store.instances.findBySubdomain('nobody')).toBeNull();
        expect(await store.instances.findByTunnelIp('10.99.99.99')).toBeNull();
        expect(await store.instances.update('inst_nobody', { name: 'x' })).toBeNull();
        expect(await store.instances.touch('inst_nobody', iso(1))).toBeNull();
        expect(await store.instances.delete('inst_nobody')).toBeNull();
      });

      it('refuses a taken subdomain, tunnel IP or public key, naming the field', async () => {
        const a = await store.instances.create(records.instance('usr_a', { publicKey: key(1) }), {
          maxPerUser: 10,
        });
        const cases: Array<[Partial<InstanceRecord>, string]> = [
          [{ subdomain: a.subdomain }, 'subdomain'],
          [{ tunnelIp: a.tunnelIp }, 'tunnelIp'],
          [{ publicKey: key(1) }, 'publicKey'],
          [{ id: a.id }, 'id'],
        ];
        for (const [over, field] of cases) {
          const dup = records.instance('usr_b', over);
          await expectConflict(store.instances.create(dup, { maxPerUser: 10 }), field);
        }
        expect(await store.instances.count()).toBe(1);
        expect(await store.instances.countByUser('usr_b')).toBe(0);
        expect(await store.instances.get(a.id)).toEqual(a);
      });

      it('refuses an instance past the per-user limit with StoreLimitError, per user', async () => {
        for (let n = 0; n < 2; n++) {
          await store.instances.create(records.instance('usr_a'), { maxPerUser: 2 });
        }
        const e = await rejection(
          store.instances.create(records.instance('usr_a'), { maxPerUser: 2 }),
        );
        expect(e).toBeInstanceOf(StoreLimitError);
        expect(e).toMatchObject({ what: 'instances', limit: 2 });
        expect(await store.instances.countByUser('usr_a')).toBe(2);
        await store.instances.create(records.instance('usr_b'), { maxPerUser: 2 });
        expect(await store.instances.countByUser('usr_b')).toBe(1);
      });

      it('lets exactly one of 50 concurrent creates of one subdomain win', async () => {
        const results = await Promise.allSettled(
          Array.from({ length: 50 }, (_, n) =>
            store.instances.create(records.instance(`usr_${n}`, { subdomain: 'contested' }), {
              maxPerUser: 10,
            }),
          ),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        expect(won).toHaveLength(1);
        for (const r of results) {
          if (r.status === 'rejected') {
            expect(r.reason).toBeInstanceOf(StoreConflictError);
            expect((r.reason as StoreConflictError).field).toBe('subdomain');
          }
        }
        expect(await store.instances.count()).toBe(1);
      });

      it('lets exactly the limit of 20 concurrent creates for one user through', async () => {
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, () =>
            store.instances.create(records.instance('usr_a'), { maxPerUser: 3 }),
          ),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
        for (const r of results) {
          if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StoreLimitError);
        }
        expect(await store.instances.countByUser('usr_a')).toBe(3);
      });

      it('lists a user’s instances oldest first and counts them', async () => {
        const late = records.instance('usr_a', { createdAt: iso(3_000) });
        const early = records.instance('usr_a', { createdAt: iso(1_000) });
        const other = records.instance('usr_b');
        for (const i of [late, early, other]) await store.instances.create(i, { maxPerUser: 10 });
        expect(await store.instances.listByUser('usr_a')).toEqual([early, late]);
        expect(await store.instances.countByUser('usr_a')).toBe(2);
        expect(await store.instances.listByUser('usr_nobody')).toEqual([]);
        expect(await store.instances.countByUser('usr_nobody')).toBe(0);
        expect(await store.instances.count()).toBe(3);
      });

      it('renames and re-keys an instance, moving its unique values', async () => {
        const i = await store.instances.create(records.instance('usr_a'), { maxPerUser: 10 });
        const updated = await store.instances.update(i.id, {
          name: 'Renamed',
          subdomain: 'moved',
          publicKey: key(2),
          name_unknown: undefined,
        } as Partial<InstanceRecord>);
        const expected = { ...i, name: 'Renamed', subdomain: 'moved', publicKey: key(2) };
        expect(updated).toEqual(expected);
        expect(await store.instances.get(i.id)).toEqual(expected);
        expect(await store.instances.findBySubdomain(i.subdomain)).toBeNull();
        expect(await store.instances.findBySubdomain('moved')).toEqual(expected);
        // The old subdomain is free for anyone now.
        await store.instances.create(records.instance('usr_b', { subdomain: i.subdomain }), {
          maxPerUser: 10,
        });
      });

      it('keeps an instance’s own unique values on update and never changes id or owner', async () => {
        const i = await store.instances.create(records.instance('usr_a', { publicKey: key(3) }), {
          maxPerUser: 10,
        });
        const patch = { subdomain: i.subdomain, publicKey: key(3), userId: 'usr_x', id: 'inst_x' };
        const updated = await store.instances.update(i.id, patch as Partial<InstanceRecord>);
        expect(updated).toEqual(i);
        expect(await store.instances.listByUser('usr_x')).toEqual([]);
        expect(await store.instances.get('inst_x')).toBeNull();
      });

      it('refuses an update to another instance’s subdomain, tunnel IP or key and changes nothing', async () => {
        const a = await store.instances.create(records.instance('usr_a', { publicKey: key(4) }), {
          maxPerUser: 10,
        });
        const b = await store.instances.create(records.instance('usr_b'), { maxPerUser: 10 });
        const cases: Array<[Partial<InstanceRecord>, string]> = [
          [{ subdomain: a.subdomain }, 'subdomain'],
          [{ tunnelIp: a.tunnelIp }, 'tunnelIp'],
          [{ publicKey: key(4) }, 'publicKey'],
        ];
        for (const [patch, field] of cases) {
          await expectConflict(store.instances.update(b.id, { ...patch, name: 'X' }), field);
        }
        expect(await store.instances.get(b.id)).toEqual(b);
        expect(await store.instances.findBySubdomain(a.subdomain)).toEqual(a);
      });

      it('touch sets last seen and status connected and nothing else', async () => {
        const i = await store.instances.create(
          records.instance('usr_a', { status: 'disconnected', publicKey: key(5) }),
          { maxPerUser: 10 },
        );
        const touched = await store.instances.touch(i.id, iso(42));
        const expected = { ...i, lastSeen: iso(42), status: 'connected' };
        expect(touched).toEqual(expected);
        expect(await store.instances.get(i.id)).toEqual(expected);
        touched!.lastSeen = iso(0);
        expect(await store.instances.get(i.id)).toEqual(expected);
        // The unique values are still held after a touch.
        const dup = records.instance('usr_b', { subdomain: i.subdomain });
        await expectConflict(store.instances.create(dup, { maxPerUser: 10 }), 'subdomain');
      });

      it('keeps the latest of many concurrent touches', async () => {
        const i = await store.instances.create(records.instance('usr_a'), { maxPerUser: 10 });
        await Promise.all(
          Array.from({ length: 200 }, (_, n) => store.instances.touch(i.id, iso(n))),
        );
        expect((await store.instances.get(i.id))?.lastSeen).toBe(iso(199));
      });

      it('deletes an instance with its domains and frees its subdomain, IP and key', async () => {
        const i = await store.instances.create(records.instance('usr_a', { publicKey: key(6) }), {
          maxPerUser: 10,
        });
        const keep = await store.instances.create(records.instance('usr_a'), { maxPerUser: 10 });
        const d1 = await store.domains.create(records.domain(i), { maxPerInstance: 5 });
        const d2 = await store.domains.create(records.domain(i), { maxPerInstance: 5 });
        const kept = await store.domains.create(records.domain(keep), { maxPerInstance: 5 });
        const deleted = await store.instances.delete(i.id);
        expect(deleted?.instance).toEqual(i);
        expect(deleted?.domains.map((d) => d.domain).sort()).toEqual([d1.domain, d2.domain].sort());
        expect(await store.instances.get(i.id)).toBeNull();
        expect(await store.domains.get(d1.domain)).toBeNull();
        expect(await store.domains.listByInstance(i.id)).toEqual([]);
        expect(await store.domains.get(kept.domain)).toEqual(kept);
        expect(await store.instances.countByUser('usr_a')).toBe(1);
        expect((await store.instances.usedTunnelIps()).has(i.tunnelIp)).toBe(false);
        expect(await store.instances.delete(i.id)).toBeNull();
        const reuse = records.instance('usr_b', {
          subdomain: i.subdomain,
          tunnelIp: i.tunnelIp,
          publicKey: key(6),
        });
        await store.instances.create(reuse, { maxPerUser: 10 });
        await store.domains.create(records.domain(reuse, { domain: d1.domain }), {
          maxPerInstance: 5,
        });
      });

      it('reports every tunnel IP in use in a set the caller may change', async () => {
        const a = await store.instances.create(records.instance('usr_a'), { maxPerUser: 10 });
        const b = await store.instances.create(records.instance('usr_b'), { maxPerUser: 10 });
        const used = await store.instances.usedTunnelIps();
        expect([...used].sort()).toEqual([a.tunnelIp, b.tunnelIp].sort());
        used.clear();
        used.add('10.1.1.1');
        expect([...(await store.instances.usedTunnelIps())].sort()).toEqual(
          [a.tunnelIp, b.tunnelIp].sort(),
        );
      });

      it('lists only instances with a registered key', async () => {
        await store.instances.create(records.instance('usr_a'), { maxPerUser: 10 });
        const reg = await store.instances.create(records.instance('usr_a', { publicKey: key(7) }), {
          maxPerUser: 10,
        });
        expect(await store.instances.listRegistered()).toEqual([reg]);
      });

      it('hands out copies of instances', async () => {
        const input = records.instance('usr_a');
        const expected = { ...input };
        const created = await store.instances.create(input, { maxPerUser: 10 });
        input.name = 'changed argument';
        created.name = 'changed result';
        (await store.instances.get(expected.id))!.name = 'changed get';
        (await store.instances.listByUser('usr_a'))[0]!.name = 'changed list';
        (await store.instances.findBySubdomain(expected.subdomain))!.name = 'changed find';
        expect(await store.instances.get(expected.id)).toEqual(expected);
      });
    });

    describe('domains', () => {
      let inst: InstanceRecord;
      beforeEach(async () => {
        inst = await store.instances.create(records.instance('usr_a'), { maxPerUser: 10 });
      });

      it('creates a domain and reads it back', async () => {
        const d = records.domain(inst);
        expect(await store.domains.create(d, { maxPerInstance: 5 })).toEqual(d);
        expect(await store.domains.get(d.domain)).toEqual(d);
        expect(await store.domains.get('nobody.example.test')).toBeNull();
      });

      it('refuses a domain another user already has, naming the field', async () => {
        const d = await store.domains.create(records.domain(inst), { maxPerInstance: 5 });
        const other = await store.instances.create(records.instance('usr_b'), { maxPerUser: 10 });
        await expectConflict(
          store.domains.create(records.domain(other, { domain: d.domain }), { maxPerInstance: 5 }),
          'domain',
        );
        expect(await store.domains.get(d.domain)).toEqual(d);
        expect(await store.domains.listByInstance(other.id)).toEqual([]);
      });

      it('refuses a domain past the per-instance limit with StoreLimitError', async () => {
        await store.domains.create(records.domain(inst), { maxPerInstance: 1 });
        const extra = records.domain(inst);
        const e = await rejection(store.domains.create(extra, { maxPerInstance: 1 }));
        expect(e).toBeInstanceOf(StoreLimitError);
        expect(e).toMatchObject({ what: 'domains', limit: 1 });
        expect(await store.domains.get(extra.domain)).toBeNull();
      });

      it('lets exactly the limit of 10 concurrent domain creates through', async () => {
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, () =>
            store.domains.create(records.domain(inst), { maxPerInstance: 5 }),
          ),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
        expect(await store.domains.listByInstance(inst.id)).toHaveLength(5);
      });

      it('lists an instance’s domains oldest first and all verified domains', async () => {
        const late = records.domain(inst, { createdAt: iso(9_000) });
        const early = records.domain(inst, {
          createdAt: iso(1_000),
          status: 'verified',
          verifiedAt: iso(2_000),
        });
        for (const d of [late, early]) await store.domains.create(d, { maxPerInstance: 5 });
        expect(await store.domains.listByInstance(inst.id)).toEqual([early, late]);
        expect(await store.domains.listVerified()).toEqual([early]);
      });

      it('updates a domain but never its name, instance or owner', async () => {
        const d = await store.domains.create(records.domain(inst), { maxPerInstance: 5 });
        const patch = {
          status: 'verified',
          verifiedAt: iso(5),
          instanceId: 'inst_x',
          userId: 'usr_x',
          domain: 'x.example.test',
          lastError: undefined,
        };
        const updated = await store.domains.update(d.domain, patch as Partial<DomainRecord>);
        const expected = { ...d, status: 'verified', verifiedAt: iso(5) };
        expect(updated).toEqual(expected);
        expect(await store.domains.get(d.domain)).toEqual(expected);
        expect(await store.domains.get('x.example.test')).toBeNull();
        expect(await store.domains.listByInstance('inst_x')).toEqual([]);
        expect(await store.domains.update('nobody.example.test', { lastError: 'x' })).toBeNull();
      });

      it('deletes a domain and frees its name', async () => {
        const d = await store.domains.create(records.domain(inst), { maxPerInstance: 1 });
        expect(await store.domains.delete(d.domain)).toEqual(d);
        expect(await store.domains.get(d.domain)).toBeNull();
        expect(await store.domains.delete(d.domain)).toBeNull();
        await store.domains.create(records.domain(inst, { domain: d.domain }), {
          maxPerInstance: 1,
        });
      });

      it('hands out copies of domains', async () => {
        const input = records.domain(inst);
        const expected = { ...input };
        const created = await store.domains.create(input, { maxPerInstance: 5 });
        input.status = 'verified';
        created.status = 'verified';
        (await store.domains.get(expected.domain))!.status = 'verified';
        (await store.domains.listByInstance(inst.id))[0]!.status = 'verified';
        expect(await store.domains.get(expected.domain)).toEqual(expected);
        expect(await store.domains.listVerified()).toEqual([]);
      });

      it('lists every pending claim oldest first, and no verified one', async () => {
        const other = await store.instances.create(records.instance('usr_b'), { maxPerUser: 10 });
        const late = records.domain(other, { createdAt: iso(9_000) });
        const early = records.domain(inst, { createdAt: iso(1_000) });
        const verified = records.domain(inst, { status: 'verified', verifiedAt: iso(2_000) });
        for (const d of [late, early, verified]) {
          await store.domains.create(d, { maxPerInstance: 5 });
        }
        expect(await store.domains.listPending()).toEqual([early, late]);
      });

      it('keeps optional fields such as expiresAt as given', async () => {
        const d = records.domain(inst, { expiresAt: iso(72 * 3_600_000) });
        await store.domains.create(d, { maxPerInstance: 5 });
        expect(await store.domains.get(d.domain)).toEqual(d);
        await store.domains.update(d.domain, { status: 'verified', expiresAt: null });
        expect(await store.domains.get(d.domain)).toMatchObject({ expiresAt: null });
      });

      it('releases a claim, leaving its instance a notice, and frees the name', async () => {
        const d = await store.domains.create(records.domain(inst), { maxPerInstance: 1 });
        const notice = records.release(d, {
          reason: 'expired',
          lastError: 'CNAME record not found',
        });
        await store.domains.release(d, notice);
        expect(await store.domains.get(d.domain)).toBeNull();
        expect(await store.domains.listByInstance(inst.id)).toEqual([]);
        expect(await store.domains.listReleases(inst.id)).toEqual([notice]);
        // The limit counts claims only: the notice does not hold a place.
        await store.domains.create(records.domain(inst), { maxPerInstance: 1 });
      });

      it('hands the name to a new claim in the same step, and refuses a stale or missing record', async () => {
        const d = await store.domains.create(records.domain(inst), { maxPerInstance: 5 });
        const other = await store.instances.create(records.instance('usr_b'), { maxPerUser: 10 });
        const claim = records.domain(other, { domain: d.domain, status: 'verified' });
        const notice = records.release(d);
        // Changed since it was read (verified meanwhile): nothing happens.
        const stale = { ...d, lastError: 'seen by an older check' };
        await expectConflict(
          store.domains.release(stale, notice, { record: claim, maxPerInstance: 5 }),
          'domain',
        );
        expect(await store.domains.get(d.domain)).toEqual(d);
        expect(await store.domains.listReleases(inst.id)).toEqual([]);

        await store.domains.release(d, notice, { record: claim, maxPerInstance: 5 });
        expect(await store.domains.get(d.domain)).toEqual(claim);
        expect(await store.domains.listByInstance(other.id)).toEqual([claim]);
        expect(await store.domains.listVerified()).toEqual([claim]);
        expect(await store.domains.listReleases(inst.id)).toEqual([notice]);
        // Released already: a second release of the same read is refused.
        await expectConflict(store.domains.release(d, notice), 'domain');
        expect(await store.domains.get(d.domain)).toEqual(claim);
      });

      it('lets exactly one of concurrent releases of one claim through', async () => {
        const d = await store.domains.create(records.domain(inst), { maxPerInstance: 5 });
        const claimants = [];
        for (const u of ['usr_b', 'usr_c', 'usr_d']) {
          claimants.push(await store.instances.create(records.instance(u), { maxPerUser: 10 }));
        }
        const results = await Promise.allSettled(
          claimants.map((c) =>
            store.domains.release(d, records.release(d), {
              record: records.domain(c, { domain: d.domain }),
              maxPerInstance: 5,
            }),
          ),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const winner = await store.domains.get(d.domain);
        expect(claimants.map((c) => c.id)).toContain(winner?.instanceId);
        expect(await store.domains.listReleases(inst.id)).toHaveLength(1);
      });

      it('refuses a new claim past its instance’s limit with StoreLimitError, changing nothing', async () => {
        const d = await store.domains.create(records.domain(inst), { maxPerInstance: 5 });
        const other = await store.instances.create(records.instance('usr_b'), { maxPerUser: 10 });
        await store.domains.create(records.domain(other), { maxPerInstance: 1 });
        const e = await rejection(
          store.domains.release(d, records.release(d), {
            record: records.domain(other, { domain: d.domain }),
            maxPerInstance: 1,
          }),
        );
        expect(e).toBeInstanceOf(StoreLimitError);
        expect(await store.domains.get(d.domain)).toEqual(d);
        expect(await store.domains.listReleases(inst.id)).toEqual([]);
      });

      it('drops an instance’s notice once it claims the name again, or when the notice is deleted', async () => {
        const d = await store.domains.create(records.domain(inst), { maxPerInstance: 5 });
        await store.domains.release(d, records.release(d));
        await store.domains.create(records.domain(inst, { domain: d.domain }), {
          maxPerInstance: 5,
        });
        expect(await store.domains.listReleases(inst.id)).toEqual([]);

        // Re-claimed by the same instance in the release itself: no notice at all.
        const again = (await store.domains.get(d.domain))!;
        const fresh = records.domain(inst, { domain: d.domain });
        await store.domains.release(again, records.release(again, { reason: 'expired' }), {
          record: fresh,
          maxPerInstance: 1,
        });
        expect(await store.domains.get(d.domain)).toEqual(fresh);
        expect(await store.domains.listReleases(inst.id)).toEqual([]);

        await store.domains.release(fresh, records.release(fresh));
        expect(await store.domains.listReleases(inst.id)).toHaveLength(1);
        expect(await store.domains.deleteRelease(inst.id, d.domain)).toMatchObject({
          domain: d.domain,
        });
        expect(await store.domains.listReleases(inst.id)).toEqual([]);
        expect(await store.domains.deleteRelease(inst.id, d.domain)).toBeNull();
      });

      it('lists an instance’s notices oldest first, one per name, and deletes them with it', async () => {
        const a = await store.domains.create(records.domain(inst), { maxPerInstance: 5 });
        const b = await store.domains.create(records.domain(inst), { maxPerInstance: 5 });
        const later = records.release(a, { releasedAt: iso(9_000) });
        const earlier = records.release(b, { releasedAt: iso(1_000) });
        await store.domains.release(a, later);
        await store.domains.release(b, earlier);
        expect(await store.domains.listReleases(inst.id)).toEqual([earlier, later]);
        expect(await store.domains.listReleases('inst_none')).toEqual([]);
        await store.instances.delete(inst.id);
        expect(await store.domains.listReleases(inst.id)).toEqual([]);
        expect(Object.keys((await store.dump()).domainReleases)).toEqual([]);
      });
    });

    describe('webhook events', () => {
      it('remembers processed event ids, and recording one again keeps the first', async () => {
        expect(await store.webhookEvents.has('evt_1')).toBe(false);
        await store.webhookEvents.record({ id: 'evt_1', type: 'a', processedAt: iso(1) });
        expect(await store.webhookEvents.has('evt_1')).toBe(true);
        expect(await store.webhookEvents.has('evt_2')).toBe(false);
        await store.webhookEvents.record({ id: 'evt_1', type: 'a', processedAt: iso(2) });
        expect((await store.dump()).webhookEvents['evt_1']?.processedAt).toBe(iso(1));
      });
    });

    describe('whole store', () => {
      it('answers ping while open', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('dumps a copy of everything', async () => {
        const u = await store.users.create(records.user());
        const i = await store.instances.create(records.instance(u.id), { maxPerUser: 10 });
        const dump = await store.dump();
        expect(dump.users[u.id]).toEqual(u);
        expect(dump.instances[i.id]).toEqual(i);
        dump.users[u.id]!.name = 'changed';
        delete dump.instances[i.id];
        expect(await store.users.get(u.id)).toEqual(u);
        expect(await store.instances.get(i.id)).toEqual(i);
      });
    });
  });
}
