import { describe, expect, it } from 'vitest';
import { newId } from '../ids.js';
import { createAccount, createInstance, manualClock, type ApiResponse } from '../testing/index.js';
import { startTestRelayForTest } from '../testing/relayFixtures.js';
import { records } from '../testing/storeContract/index.js';
import { generateKeyPair } from '@cloud-connect/agent-core/wireguard';
import { DEFAULT_LOGIN_THROTTLE, type LoginThrottleConfig } from './loginThrottle.js';
import { DEFAULT_RATE_LIMITS, type Bucket, type RateLimitConfig } from './rateLimit.js';

interface LimitedBody {
  error: { code: string; details: { retry_after_seconds: number } };
}

/** 429 RATE_LIMITED in the error format, with a Retry-After the caller can wait on. */
function expectLimited(res: ApiResponse<LimitedBody>, windowSeconds: number): void {
  expect(res.status, res.text).toBe(429);
  expect(res.body.error.code).toBe('RATE_LIMITED');
  const retry = Number(res.headers.get('retry-after'));
  expect(retry).toBeGreaterThanOrEqual(1);
  expect(retry).toBeLessThanOrEqual(windowSeconds);
  expect(retry).toBeGreaterThan(windowSeconds / 2);
  expect(res.body.error.details.retry_after_seconds).toBe(retry);
}

/** 429 RATE_LIMITED asking to wait exactly `seconds`. */
function expectWait(res: ApiResponse<LimitedBody>, seconds: number): void {
  expect(res.status, res.text).toBe(429);
  expect(res.body.error.code).toBe('RATE_LIMITED');
  expect(res.headers.get('retry-after')).toBe(String(seconds));
  expect(res.body.error.details.retry_after_seconds).toBe(seconds);
}

/** A relay whose `bucket` allows `points` calls in `durationSeconds`, and two accounts on it. */
async function limitedRelay(bucket: Bucket, points: number, durationSeconds: number) {
  const rateLimits: Partial<RateLimitConfig> = { [bucket]: { points, durationSeconds } };
  const t = await startTestRelayForTest({ rateLimits });
  return { t, a: await createAccount(t), b: await createAccount(t) };
}

describe('forgot-password, per account', () => {
  it('answers 429 after the account budget, for that account only, and sends no more mail', async () => {
    const { t, a: account, b: other } = await limitedRelay('mailPerAccount', 3, 3600);
    // The address in any letter case is the same account.
    for (const email of [account.email, account.email.toUpperCase(), account.email]) {
      expect((await t.api.post('/auth/forgot-password', { email })).status).toBe(200);
    }
    const before = await t.relay.services.store.dump();
    expectLimited(await t.api.post('/auth/forgot-password', { email: account.email }), 3600);
    expect(await t.relay.services.store.dump()).toEqual(before);
    const resets = (await t.outbox()).filter(
      (m) => m.to === account.email && m.text.includes('/reset-password?token='),
    );
    expect(resets).toHaveLength(3);
    expect((await t.api.post('/auth/forgot-password', { email: other.email })).status).toBe(200);
  });

  it('limits an address with no account the same way, so the limit reveals nothing', async () => {
    const t = await startTestRelayForTest({
      rateLimits: { mailPerAccount: { points: 2, durationSeconds: 3600 } },
    });
    const email = 'nobody-here@example.test';
    for (let i = 0; i < 2; i++) {
      expect((await t.api.post('/auth/forgot-password', { email })).status).toBe(200);
    }
    expectLimited(await t.api.post('/auth/forgot-password', { email }), 3600);
  });
});

describe('sign-up, per address', () => {
  it('limits sign-ups of one address the same whether it has an account or not, so its owner is not mail-bombed', async () => {
    const t = await startTestRelayForTest({
      rateLimits: { mailPerAccount: { points: 2, durationSeconds: 3600 } },
    });
    const signUp = (email: string) =>
      t.api.post('/auth/register', {
        name: 'Someone',
        email,
        password: 'some password 123',
        password_confirmation: 'some password 123',
        accept_terms: true,
        accept_privacy: true,
      });
    // A new address, then the same one taken: both answered 201; the third try waits.
    expect((await signUp('owner@example.test')).status).toBe(201);
    expect((await signUp('owner@example.test')).status).toBe(201);
    const before = await t.relay.services.store.dump();
    const mails = (await t.outbox()).length;
    expectLimited(await signUp('owner@example.test'), 3600);
    expect(await t.relay.services.store.dump()).toEqual(before);
    expect(await t.outbox()).toHaveLength(mails);
    expect((await signUp('someone-else@example.test')).status).toBe(201);
  });
});

describe('failed sign-ins, per account and source', () => {
  // Two addresses on loopback: the relay trusts X-Forwarded-For when RELAY_TRUST_PROXY is set.
  const ATTACKER = '203.0.113.7';
  const OWNER = '198.51.100.20';
  const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });
  /**
   * A relay that trusts X-Forwarded-For, on a manual clock, with the login throttle's defaults
   * changed by `throttle`; `login` signs in from the address given.
   */
  async function behindProxy(throttle: Partial<LoginThrottleConfig> = {}) {
    const clock = manualClock();
    const t = await startTestRelayForTest({
      clock,
      env: { RELAY_TRUST_PROXY: 'true' },
      rateLimits: { loginFailures: { ...DEFAULT_LOGIN_THROTTLE, ...throttle } },
    });
    const login = (email: string, password: string, ip: string) =>
      t.api.post('/auth/login', { email, password }, from(ip));
    return { t, clock, login };
  }

  it('slow the guessing address down with doubling waits while the owner signs in from another at once', async () => {
    const { t, clock, login } = await behindProxy();
    const account = await createAccount(t);
    const { freePerSource, maxDelaySeconds } = DEFAULT_LOGIN_THROTTLE;
    const waits = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900];

    for (let i = 0; i < freePerSource; i++) {
      expect((await login(account.email, 'wrong guess!', ATTACKER)).status).toBe(401);
    }
    // From now on every try waits, twice as long as the one before; an early try is refused
    // without checking the password (not even the right one) and without being counted.
    for (const wait of waits) {
      expectWait(await login(account.email, 'wrong guess!', ATTACKER), wait);
      expectWait(await login(account.email, account.password, ATTACKER), wait);
      clock.advance(wait * 1000 - 1);
      expect((await login(account.email, 'wrong guess!', ATTACKER)).status).toBe(429);
      clock.advance(1);
      expect((await login(account.email, 'wrong guess!', ATTACKER)).status).toBe(401);

      // However many guesses the attacker made, the owner signs in from home at once.
      expect((await login(account.email, account.password, OWNER)).status).toBe(200);
    }
    // The wait runs out on the clock, and a right password from that address is let through.
    clock.advance(maxDelaySeconds * 1000);
    expect((await login(account.email, account.password, ATTACKER)).status).toBe(200);
  });

  it('take a burst of parallel guesses from one address one at a time, so only the free ones are checked', async () => {
    const { t, login } = await behindProxy();
    const account = await createAccount(t);
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => login(account.email, 'wrong guess!', ATTACKER)),
    );
    const statuses = burst.map((r) => r.status).sort();
    const { freePerSource } = DEFAULT_LOGIN_THROTTLE;
    expect(statuses.filter((s) => s === 401)).toHaveLength(freePerSource);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20 - freePerSource);
    expect((await login(account.email, account.password, OWNER)).status).toBe(200);
  });

  it('forget a source’s failures a day after the last one, and count an unknown email the same way', async () => {
    const { t, clock, login } = await behindProxy();
    const { freePerSource, forgetAfterSeconds } = DEFAULT_LOGIN_THROTTLE;
    for (const email of ['nobody-here@example.test', (await createAccount(t)).email]) {
      for (let i = 0; i < freePerSource; i++) {
        expect((await login(email, 'wrong guess!', ATTACKER)).status).toBe(401);
      }
      expectWait(await login(email, 'wrong guess!', ATTACKER), 1);
    }
    clock.advance(forgetAfterSeconds * 1000);
    const fresh = await login('nobody-here@example.test', 'wrong guess!', ATTACKER);
    expect(fresh.status).toBe(401);
    expect((await login('nobody-here@example.test', 'wrong guess!', ATTACKER)).status).toBe(401);
  });

  it('once the account total is reached, slow each unfamiliar address after its first failure, yet let a right password from an address with none through', async () => {
    const { t, clock, login } = await behindProxy({ freePerSource: 3, freePerAccount: 6 });
    const account = await createAccount(t);
    expect((await login(account.email, account.password, OWNER)).status).toBe(200);

    // Three addresses, two guesses each: no address reached its own limit, the account has.
    for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
      for (let i = 0; i < 2; i++) {
        expect((await login(account.email, 'wrong guess!', ip)).status).toBe(401);
      }
    }
    // Each guessing address now waits (two failures past the one free: 2 s), though under
    // its own limit; a fresh address gets one guess, then waits too.
    expectWait(await login(account.email, 'wrong guess!', '203.0.113.1'), 2);
    expect((await login(account.email, 'wrong guess!', '203.0.113.4')).status).toBe(401);
    expectWait(await login(account.email, 'wrong guess!', '203.0.113.4'), 1);
    // The owner's usual address works, and so does a new address with no failures of its own
    // (the owner travelling): the right password signs in at once.
    expect((await login(account.email, account.password, OWNER)).status).toBe(200);
    expect((await login(account.email, account.password, '192.0.2.50')).status).toBe(200);

    // The owner's sign-in does not let the guessers off: the next fresh address also waits
    // after its first guess, and an address that waited out its delay waits longer next time.
    expect((await login(account.email, 'wrong guess!', '203.0.113.5')).status).toBe(401);
    expectWait(await login(account.email, 'wrong guess!', '203.0.113.5'), 1);
    clock.advance(1000);
    expect((await login(account.email, 'wrong guess!', '203.0.113.5')).status).toBe(401);
    expectWait(await login(account.email, 'wrong guess!', '203.0.113.5'), 2);
  });

  it('count an IPv6 source by its /64 and an IPv4-mapped one as its IPv4 address', async () => {
    const { t, login } = await behindProxy();
    const account = await createAccount(t);
    const { freePerSource } = DEFAULT_LOGIN_THROTTLE;
    for (let i = 0; i < freePerSource; i++) {
      const ip = `2001:db8:1:2::${i + 1}`;
      expect((await login(account.email, 'wrong guess!', ip)).status).toBe(401);
    }
    // Another address of the same /64, written differently, shares the spent budget.
    expectWait(await login(account.email, 'wrong guess!', '2001:0DB8:0001:0002:ffff::9'), 1);
    // The next /64 is another source.
    expect((await login(account.email, 'wrong guess!', '2001:db8:1:3::1')).status).toBe(401);

    for (let i = 0; i < freePerSource; i++) {
      expect((await login(account.email, 'wrong guess!', '198.51.100.99')).status).toBe(401);
    }
    expectWait(await login(account.email, 'wrong guess!', '::ffff:198.51.100.99'), 1);
  });

  it('a password reset by mail clears the account total', async () => {
    const { t, login } = await behindProxy({ freePerSource: 5, freePerAccount: 2 });
    const account = await createAccount(t);
    for (const ip of ['203.0.113.1', '203.0.113.2']) {
      expect((await login(account.email, 'wrong guess!', ip)).status).toBe(401);
    }
    // Under account-wide pressure an address waits after its first failure.
    expectWait(await login(account.email, account.password, '203.0.113.1'), 1);
    expect((await t.api.post('/auth/forgot-password', { email: account.email })).status).toBe(200);
    const token = await t.mailToken(account.email, 'reset-password');
    const password = 'a brand new password';
    const reset = await t.api.post('/auth/reset-password', {
      token,
      password,
      password_confirmation: password,
    });
    expect(reset.status, reset.text).toBe(200);
    // The total is gone: that address is back to its own budget of five.
    expect((await login(account.email, password, '203.0.113.1')).status).toBe(200);
  });
});

describe('subdomain check, per user', () => {
  it('answers 429 after the user budget; another user still checks', async () => {
    const { t, a, b } = await limitedRelay('subdomainCheckPerUser', 5, 60);
    const check = (token: string, i: number) =>
      t.api.get(`/subdomains/check?subdomain=free-name-${i}`, { token });
    for (let i = 0; i < 5; i++) expect((await check(a.accessToken, i)).status).toBe(200);
    expectLimited(await check(a.accessToken, 5), 60);
    expect((await check(b.accessToken, 6)).status).toBe(200);
  });
});

describe('tunnel calls, per instance', () => {
  it('answer 429 after the instance budget, whatever the call; another instance goes on', async () => {
    const { t, a, b } = await limitedRelay('tunnelPerInstance', 5, 60);
    const one = (await createInstance(t, a, 'limited-one')).credentials.instance_token;
    const two = (await createInstance(t, b, 'limited-two')).credentials.instance_token;
    const register = (token: string) =>
      t.api.post('/tunnel/register', { public_key: generateKeyPair().publicKey }, { token });
    expect((await register(one)).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      expect((await t.api.post('/tunnel/heartbeat', {}, { token: one })).status).toBe(200);
    }
    expect((await t.api.get('/tunnel/status', { token: one })).status).toBe(200);
    const before = await t.relay.services.store.dump();
    expectLimited(await t.api.post('/tunnel/heartbeat', {}, { token: one }), 60);
    expectLimited(await t.api.post('/tunnel/disconnect', undefined, { token: one }), 60);
    expect(await t.relay.services.store.dump()).toEqual(before);
    expect((await register(two)).status).toBe(200);
    expect((await t.api.post('/tunnel/heartbeat', {}, { token: two })).status).toBe(200);
  });
});

describe('the per-IP auth budget with the default limits', () => {
  it('lets 100 people behind one address sign in at once, and still has an end', async () => {
    const t = await startTestRelayForTest({ rateLimits: DEFAULT_RATE_LIMITS });
    const services = t.relay.services;
    // Accounts go straight into the store: 100 registrations would only repeat argon2 work.
    const password = 'office password 123';
    const passwordHash = await services.passwords.hash(password);
    const now = new Date().toISOString();
    const emails = Array.from({ length: 100 }, (_, i) => `office-${i}@example.test`);
    for (const email of emails) {
      await services.store.users.create(
        records.user({ id: newId('usr'), email, passwordHash, emailVerifiedAt: now }),
      );
    }
    const started = performance.now();
    const logins = await Promise.all(
      emails.map((email) => t.api.post('/auth/login', { email, password })),
    );
    const seconds = (performance.now() - started) / 1000;
    expect(logins.map((r) => r.status)).toEqual(emails.map(() => 200));
    expect(new Set(logins.map((r) => r.body.user.email)).size).toBe(100);
    console.info(`100 concurrent sign-ins from one address: ${seconds.toFixed(2)} s`);

    // The budget is per address and finite: spend the rest cheaply (422s still count).
    const { points, durationSeconds } = DEFAULT_RATE_LIMITS.authPerIp;
    for (let i = 100; i < points; i++) {
      expect((await t.api.post('/auth/login', { email: 'not an email' })).status).toBe(422);
    }
    expectLimited(await t.api.post('/auth/login', { email: emails[0], password }), durationSeconds);
  });
});
