import { describe, expect, it } from 'vitest';
import type { Store, UserRecord } from '../../store/types.js';
import { expectConflict } from './refusals.js';
import { iso, records } from './records.js';

/** The contract's users, refresh tokens and email tokens. */
export function describeAccountContract(store: () => Store): void {
  describe('users', () => {
    it('creates a user and reads it back by id, email and Stripe customer', async () => {
      const u = records.user({ stripeCustomerId: 'cus_1' });
      expect(await store().users.create(u)).toEqual(u);
      expect(await store().users.get(u.id)).toEqual(u);
      expect(await store().users.findByEmail(u.email)).toEqual(u);
      expect(await store().users.findByStripeCustomer('cus_1')).toEqual(u);
    });

    it('answers null for unknown ids, emails and customers', async () => {
      expect(await store().users.get('usr_nobody')).toBeNull();
      expect(await store().users.findByEmail('nobody@example.test')).toBeNull();
      expect(await store().users.findByStripeCustomer('cus_nobody')).toBeNull();
      expect(await store().users.update('usr_nobody', { name: 'x' })).toBeNull();
    });

    it('refuses a second user with the same email, naming the field, and keeps the first', async () => {
      const first = await store().users.create(records.user({ email: 'same@example.test' }));
      const second = records.user({ email: 'same@example.test' });
      await expectConflict(store().users.create(second), 'email');
      expect(await store().users.get(second.id)).toBeNull();
      expect(await store().users.findByEmail('same@example.test')).toEqual(first);
    });

    it('refuses a second user with the same Stripe customer', async () => {
      await store().users.create(records.user({ stripeCustomerId: 'cus_dup' }));
      const second = records.user({ stripeCustomerId: 'cus_dup' });
      await expectConflict(store().users.create(second), 'stripeCustomerId');
      expect(await store().users.get(second.id)).toBeNull();
    });

    it('refuses a second user with the same id', async () => {
      const u = await store().users.create(records.user());
      await expectConflict(store().users.create(records.user({ id: u.id })), 'id');
      expect(await store().users.get(u.id)).toEqual(u);
    });

    it('updates the given fields, ignores undefined ones and never changes the id', async () => {
      const u = await store().users.create(records.user({ name: 'Before' }));
      const patch = { name: 'After', clientVersion: undefined, id: 'usr_other' };
      const updated = await store().users.update(u.id, patch as Partial<UserRecord>);
      expect(updated).toEqual({ ...u, name: 'After' });
      expect(await store().users.get(u.id)).toEqual({ ...u, name: 'After' });
      expect(await store().users.get('usr_other')).toBeNull();
    });

    it('refuses an update to an email another user has, and changes nothing', async () => {
      const a = await store().users.create(records.user());
      const b = await store().users.create(records.user());
      await expectConflict(store().users.update(b.id, { email: a.email, name: 'X' }), 'email');
      expect(await store().users.get(b.id)).toEqual(b);
      expect(await store().users.findByEmail(a.email)).toEqual(a);
    });

    it('moves the email index with an email change, freeing the old address', async () => {
      const a = await store().users.create(records.user({ email: 'old@example.test' }));
      await store().users.update(a.id, { email: 'new@example.test' });
      expect(await store().users.findByEmail('old@example.test')).toBeNull();
      expect((await store().users.findByEmail('new@example.test'))?.id).toBe(a.id);
      const b = await store().users.create(records.user({ email: 'old@example.test' }));
      expect((await store().users.findByEmail('old@example.test'))?.id).toBe(b.id);
    });

    it('refuses an update to a Stripe customer another user has', async () => {
      await store().users.create(records.user({ stripeCustomerId: 'cus_a' }));
      const b = await store().users.create(records.user());
      await expectConflict(
        store().users.update(b.id, { stripeCustomerId: 'cus_a' }),
        'stripeCustomerId',
      );
      expect(await store().users.get(b.id)).toEqual(b);
      await store().users.update(b.id, { stripeCustomerId: 'cus_b' });
      expect((await store().users.findByStripeCustomer('cus_b'))?.id).toBe(b.id);
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
      const created = await store().users.create(input);
      input.name = 'changed argument';
      input.subscription!.plan = 'business';
      created.name = 'changed result';
      created.subscription!.paymentMethod!.last4 = '0000';
      const got = await store().users.get(expected.id);
      expect(got).toEqual(expected);
      got!.subscription!.status = 'canceled';
      const byEmail = await store().users.findByEmail(expected.email);
      byEmail!.email = 'x@example.test';
      expect(await store().users.get(expected.id)).toEqual(expected);
      const patch = { subscription: structuredClone(expected.subscription) };
      const updated = await store().users.update(expected.id, patch);
      patch.subscription!.plan = 'free';
      updated!.subscription!.plan = 'free';
      expect(await store().users.get(expected.id)).toEqual(expected);
    });
  });

  describe('refresh tokens', () => {
    it('stores a token and reads it back', async () => {
      const t = records.refreshToken('usr_a');
      await store().refreshTokens.create(t);
      expect(await store().refreshTokens.get(t.id)).toEqual(t);
      expect(await store().refreshTokens.get('rt_nobody')).toBeNull();
    });

    it('lets a token be used once; a second use, an unknown or a revoked token is refused', async () => {
      const t = records.refreshToken('usr_a');
      const revoked = records.refreshToken('usr_a', { revokedAt: iso(5) });
      await store().refreshTokens.create(t);
      await store().refreshTokens.create(revoked);
      expect(await store().refreshTokens.use(t.id, iso(10))).toBe(true);
      expect((await store().refreshTokens.get(t.id))?.usedAt).toBe(iso(10));
      expect(await store().refreshTokens.use(t.id, iso(11))).toBe(false);
      expect((await store().refreshTokens.get(t.id))?.usedAt).toBe(iso(10));
      expect(await store().refreshTokens.use('rt_nobody', iso(10))).toBe(false);
      expect(await store().refreshTokens.use(revoked.id, iso(10))).toBe(false);
    });

    it('gives exactly one of 25 concurrent uses of a token', async () => {
      const t = records.refreshToken('usr_a');
      await store().refreshTokens.create(t);
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, i) => store().refreshTokens.use(t.id, iso(i))),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect((await store().refreshTokens.get(t.id))?.usedAt).toBe(iso(winner));
    });

    it('revokes a whole family and nothing else', async () => {
      const a1 = records.refreshToken('usr_a', { familyId: 'famA' });
      const a2 = records.refreshToken('usr_a', { familyId: 'famA', usedAt: iso(1) });
      const b = records.refreshToken('usr_a', { familyId: 'famB' });
      for (const t of [a1, a2, b]) await store().refreshTokens.create(t);
      await store().refreshTokens.revokeFamily('famA', iso(20));
      expect((await store().refreshTokens.get(a1.id))?.revokedAt).toBe(iso(20));
      expect((await store().refreshTokens.get(a2.id))?.revokedAt).toBe(iso(20));
      expect(await store().refreshTokens.get(b.id)).toEqual(b);
      expect(await store().refreshTokens.use(a1.id, iso(21))).toBe(false);
      expect(await store().refreshTokens.use(b.id, iso(21))).toBe(true);
    });

    it('revokes every token of one user and keeps earlier revocation times', async () => {
      const early = records.refreshToken('usr_a', { revokedAt: iso(3) });
      const a = records.refreshToken('usr_a');
      const other = records.refreshToken('usr_b');
      for (const t of [early, a, other]) await store().refreshTokens.create(t);
      await store().refreshTokens.revokeAllForUser('usr_a', iso(30));
      expect((await store().refreshTokens.get(a.id))?.revokedAt).toBe(iso(30));
      expect((await store().refreshTokens.get(early.id))?.revokedAt).toBe(iso(3));
      expect(await store().refreshTokens.get(other.id)).toEqual(other);
    });

    it('hands out copies of tokens', async () => {
      const t = records.refreshToken('usr_a');
      await store().refreshTokens.create(t);
      const got = await store().refreshTokens.get(t.id);
      got!.revokedAt = iso(1);
      t.usedAt = iso(1);
      expect(await store().refreshTokens.use(t.id, iso(2))).toBe(true);
    });
  });

  describe('email tokens', () => {
    it('consumes a valid token once and returns it marked used', async () => {
      const t = records.emailToken('usr_a');
      await store().emailTokens.create(t);
      const used = await store().emailTokens.consume(t.hash, 'verify', iso(1000));
      expect(used).toEqual({ ...t, usedAt: iso(1000) });
      expect(await store().emailTokens.consume(t.hash, 'verify', iso(1001))).toBeNull();
    });

    it('refuses a token of another purpose and leaves it usable for its own', async () => {
      const t = records.emailToken('usr_a', { purpose: 'reset' });
      await store().emailTokens.create(t);
      expect(await store().emailTokens.consume(t.hash, 'verify', iso(1))).toBeNull();
      expect(await store().emailTokens.consume(t.hash, 'reset', iso(1))).not.toBeNull();
    });

    it('refuses an expired token (at or after expiry) and an unknown one', async () => {
      const t = records.emailToken('usr_a', { expiresAt: iso(5000) });
      await store().emailTokens.create(t);
      expect(await store().emailTokens.consume(t.hash, 'verify', iso(5000))).toBeNull();
      expect(await store().emailTokens.consume(t.hash, 'verify', iso(9000))).toBeNull();
      expect(await store().emailTokens.consume('hash_nobody', 'verify', iso(1))).toBeNull();
    });

    it('gives a token to exactly one of 25 concurrent consumers', async () => {
      const t = records.emailToken('usr_a');
      await store().emailTokens.create(t);
      const results = await Promise.all(
        Array.from({ length: 25 }, () => store().emailTokens.consume(t.hash, 'verify', iso(1))),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(1);
    });

    it('invalidates the unused tokens of one user and purpose only', async () => {
      const mine = records.emailToken('usr_a', { purpose: 'reset' });
      const otherPurpose = records.emailToken('usr_a', { purpose: 'verify' });
      const otherUser = records.emailToken('usr_b', { purpose: 'reset' });
      for (const t of [mine, otherPurpose, otherUser]) await store().emailTokens.create(t);
      await store().emailTokens.invalidateForUser('usr_a', 'reset', iso(7));
      expect(await store().emailTokens.consume(mine.hash, 'reset', iso(8))).toBeNull();
      expect(await store().emailTokens.consume(otherPurpose.hash, 'verify', iso(8))).not.toBeNull();
      expect(await store().emailTokens.consume(otherUser.hash, 'reset', iso(8))).not.toBeNull();
    });

    it('hands out a copy of a consumed token', async () => {
      const t = records.emailToken('usr_a');
      await store().emailTokens.create(t);
      t.usedAt = iso(1); // changing the argument after create changes nothing
      const used = await store().emailTokens.consume(t.hash, 'verify', iso(2));
      expect(used?.usedAt).toBe(iso(2));
      used!.usedAt = null;
      expect(await store().emailTokens.consume(t.hash, 'verify', iso(3))).toBeNull();
    });
  });
}
