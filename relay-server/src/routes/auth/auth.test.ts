import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_LOGIN_THROTTLE } from '../../http/loginThrottle.js';
import { argon2Hasher, type PasswordHasher } from '../../passwords/passwords.js';
import { createAccount, startTestRelay, type TestRelay } from '../../testing/index.js';

let t: TestRelay;
beforeEach(async () => {
  t = await startTestRelay();
});
afterEach(async () => {
  await t.stop();
});

const registration = (email: string, password = 'correct horse battery') => ({
  name: 'Ann Example',
  email,
  password,
  password_confirmation: password,
  accept_terms: true,
  accept_privacy: true,
  accept_marketing: false,
  erugo_version: '1.0.0',
});

describe('POST /auth/register', () => {
  it('creates a pending account and mails a verification link', async () => {
    const res = await t.api.post('/auth/register', registration('Ann@Example.test'));
    expect(res.status).toBe(201);
    expect(res.body.message).toBe('Check your email to finish signing up');
    expect(res.body.user).toMatchObject({
      name: 'Ann Example',
      email: 'ann@example.test',
      account_status: 'pending_email_verification',
    });
    expect(res.body.user.id).toMatch(/^usr_[a-z0-9]{20}$/);
    const [mail] = await t.outbox();
    expect(mail?.to).toBe('ann@example.test');
    expect(mail?.text).toContain(`${t.url}/verify-email?token=`);
  });

  it('answers a taken email, in any case, exactly like a new one and mails the owner instead', async () => {
    const owner = await t.api.post('/auth/register', registration('bob@example.test'));
    const ownerBefore = await t.relay.services.store.users.findByEmail('bob@example.test');
    const mailsBefore = (await t.outbox()).length;
    const other = { ...registration('BOB@example.test', 'mallory password'), name: 'Mallory' };
    const taken = await t.api.post('/auth/register', other);
    const fresh = await t.api.post('/auth/register', { ...other, email: 'mal@example.test' });

    // Same status, same body: only the values the caller sent, a fresh id and the time differ.
    for (const res of [taken, fresh]) {
      expect(res.status, res.text).toBe(201);
      expect(res.headers.get('content-type')).toBe(fresh.headers.get('content-type'));
      expect(res.body).toEqual({
        user: {
          id: expect.stringMatching(/^usr_[a-z0-9]{20}$/),
          name: 'Mallory',
          email: res === taken ? 'bob@example.test' : 'mal@example.test',
          created_at: expect.any(String),
          account_status: 'pending_email_verification',
        },
        message: 'Check your email to finish signing up',
      });
    }
    expect(taken.body.user.id).not.toBe(owner.body.user.id);

    // Nothing about the existing account changed: its name and password are the owner's.
    expect(await t.relay.services.store.users.findByEmail('bob@example.test')).toEqual(ownerBefore);
    const { users } = await t.relay.services.store.dump();
    expect(Object.values(users).map((u) => u.email)).toEqual([
      'bob@example.test',
      'mal@example.test',
    ]);
    const signIn = (password: string) =>
      t.api.post('/auth/login', { email: 'bob@example.test', password });
    expect((await signIn('mallory password')).status).toBe(401);
    expect((await signIn('correct horse battery')).status).toBe(200);

    // The owner is told, by name, with a working reset link; the other name appears nowhere.
    const [notice, ...rest] = (await t.outbox()).slice(mailsBefore);
    expect(rest.map((m) => m.to)).toEqual(['mal@example.test']);
    expect(notice?.to).toBe('bob@example.test');
    expect(notice?.subject).toBe('Someone tried to sign up with your Cloud Connect address');
    expect(notice?.text).toContain('Hi Ann Example,');
    expect(notice?.text).toContain('sign in with this email address and your password');
    expect(notice?.text).toContain(`${t.url}/reset-password?token=`);
    expect(notice?.text).not.toContain('Mallory');
    const token = await t.mailToken('bob@example.test', 'reset-password');
    const reset = await t.api.post('/auth/reset-password', {
      token,
      password: 'a new password 456',
      password_confirmation: 'a new password 456',
    });
    expect(reset.status, reset.text).toBe(200);
  });

  it('takes the same steps for a taken email as for a new one: one argon2 hash, one token, one mail', async () => {
    await t.stop();
    const calls = { hash: 0, verify: 0 };
    const countingHasher: PasswordHasher = {
      hash: (password) => (calls.hash++, argon2Hasher.hash(password)),
      verify: (digest, password) => (calls.verify++, argon2Hasher.verify(digest, password)),
    };
    t = await startTestRelay({ services: { passwords: countingHasher } });
    await t.api.post('/auth/register', registration('carla@example.test'));

    const stepsOf = async (email: string) => {
      const before = { ...calls };
      const { emailTokens } = await t.relay.services.store.dump();
      const mails = (await t.outbox()).length;
      expect((await t.api.post('/auth/register', registration(email))).status).toBe(201);
      return {
        hashes: calls.hash - before.hash,
        verifies: calls.verify - before.verify,
        tokens:
          Object.keys((await t.relay.services.store.dump()).emailTokens).length -
          Object.keys(emailTokens).length,
        mails: (await t.outbox()).length - mails,
      };
    };
    const one = { hashes: 1, verifies: 0, tokens: 1, mails: 1 };
    expect(await stepsOf('new-one@example.test')).toEqual(one);
    expect(await stepsOf('carla@example.test')).toEqual(one);
  });

  it('names each bad field in a VALIDATION_ERROR', async () => {
    const res = await t.api.post('/auth/register', {
      ...registration('x@example.test', 'short'),
      password_confirmation: 'other',
      accept_terms: false,
    });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(Object.keys(res.body.error.details.fields).sort()).toEqual(['accept_terms', 'password']);
    const mismatch = await t.api.post('/auth/register', {
      ...registration('x@example.test'),
      password_confirmation: 'not the same',
    });
    expect(mismatch.body.error.details.fields).toEqual({
      password_confirmation: 'does not match password',
    });
  });
});

describe('POST /auth/login', () => {
  it('returns seed 003 tokens and user fields', async () => {
    await t.api.post('/auth/register', registration('carol@example.test'));
    const res = await t.api.post('/auth/login', {
      email: 'carol@example.test',
      password: 'correct horse battery',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    expect(res.body.user).toMatchObject({
      email: 'carol@example.test',
      subscription_status: 'none',
      subscription_plan: 'free',
      email_verified: false,
    });
    const me = await t.api.get('/user', { token: res.body.access_token });
    expect(me.status).toBe(200);
  });

  it('answers UNAUTHORIZED the same way for a wrong password and an unknown email', async () => {
    await t.api.post('/auth/register', registration('dan@example.test'));
    const wrong = await t.api.post('/auth/login', {
      email: 'dan@example.test',
      password: 'wrong password',
    });
    const unknown = await t.api.post('/auth/login', {
      email: 'nobody@example.test',
      password: 'wrong password',
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
  });
});

describe('POST /auth/refresh', () => {
  it('rotates the refresh token and revokes the whole family when an old one is reused', async () => {
    const a = await createAccount(t);
    const first = await t.api.post('/auth/refresh', { refresh_token: a.refreshToken });
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).not.toBe(a.refreshToken);
    expect(first.body.expires_in).toBe(900);

    const replay = await t.api.post('/auth/refresh', { refresh_token: a.refreshToken });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('UNAUTHORIZED');
    // The rotated token of the same family is dead too.
    const after = await t.api.post('/auth/refresh', { refresh_token: first.body.refresh_token });
    expect(after.status).toBe(401);
    // Another session of the same user (another family) is untouched.
    const other = await t.api.post('/auth/login', { email: a.email, password: a.password });
    expect(
      (await t.api.post('/auth/refresh', { refresh_token: other.body.refresh_token })).status,
    ).toBe(200);
  });

  it('refuses an access token presented as a refresh token', async () => {
    const a = await createAccount(t);
    const res = await t.api.post('/auth/refresh', { refresh_token: a.accessToken });
    expect(res.status).toBe(401);
  });
});

describe('email verification', () => {
  it('verifies once with the mailed token, and not again', async () => {
    await t.api.post('/auth/register', registration('erin@example.test'));
    const token = await t.mailToken('erin@example.test', 'verify-email');
    const ok = await t.api.post('/auth/verify-email', { token });
    expect(ok.status).toBe(200);
    expect(ok.body.user.account_status).toBe('active');
    const again = await t.api.post('/auth/verify-email', { token });
    expect(again.status).toBe(422);
    expect(again.body.error.details.fields.token).toMatch(/invalid, expired or already used/);
  });

  it('resends only to unverified accounts and never reveals whether one exists', async () => {
    await t.api.post('/auth/register', registration('fay@example.test'));
    const known = await t.api.post('/auth/resend-verification', { email: 'fay@example.test' });
    const unknown = await t.api.post('/auth/resend-verification', { email: 'ghost@example.test' });
    expect(known.status).toBe(200);
    expect(unknown.body).toEqual(known.body);
    expect((await t.outbox()).filter((m) => m.to === 'fay@example.test')).toHaveLength(2);
    expect((await t.outbox()).filter((m) => m.to === 'ghost@example.test')).toHaveLength(0);
    // Only the newest link works.
    const mails = (await t.outbox()).filter((m) => m.to === 'fay@example.test');
    const oldToken = /token=([\w-]+)/.exec(mails[0]!.text)![1]!;
    t.ledger.add(oldToken);
    expect((await t.api.post('/auth/verify-email', { token: oldToken })).status).toBe(422);
  });
});

describe('password reset', () => {
  it('answers the same for known and unknown emails and mails only the known one', async () => {
    const a = await createAccount(t);
    const known = await t.api.post('/auth/forgot-password', { email: a.email });
    const unknown = await t.api.post('/auth/forgot-password', { email: 'ghost@example.test' });
    expect(known.status).toBe(200);
    expect(known.body).toEqual({ message: 'If an account exists, a reset email has been sent' });
    expect(unknown.body).toEqual(known.body);
    expect((await t.outbox()).some((m) => m.to === 'ghost@example.test')).toBe(false);
  });

  it('sets the new password once, ends every session, and expires after an hour', async () => {
    const a = await createAccount(t);
    await t.api.post('/auth/forgot-password', { email: a.email });
    const token = await t.mailToken(a.email, 'reset-password');
    const reset = await t.api.post('/auth/reset-password', {
      token,
      password: 'brand new password',
      password_confirmation: 'brand new password',
    });
    expect(reset.status).toBe(200);
    expect(reset.body.message).toBe('Password reset successfully');
    expect((await t.api.post('/auth/refresh', { refresh_token: a.refreshToken })).status).toBe(401);
    expect((await t.api.post('/auth/login', { email: a.email, password: a.password })).status).toBe(
      401,
    );
    expect(
      (await t.api.post('/auth/login', { email: a.email, password: 'brand new password' })).status,
    ).toBe(200);
    const reuse = await t.api.post('/auth/reset-password', {
      token,
      password: 'another password',
      password_confirmation: 'another password',
    });
    expect(reuse.status).toBe(422);
  });
});

describe('rate limits', () => {
  it('makes an address wait after repeated failed logins, even for the right password, with Retry-After', async () => {
    await t.stop();
    t = await startTestRelay({
      rateLimits: {
        loginFailures: { ...DEFAULT_LOGIN_THROTTLE, freePerSource: 3, firstDelaySeconds: 60 },
      },
    });
    const a = await createAccount(t);
    for (let i = 0; i < 3; i++) {
      expect(
        (await t.api.post('/auth/login', { email: a.email, password: 'wrong password' })).status,
      ).toBe(401);
    }
    const locked = await t.api.post('/auth/login', { email: a.email, password: a.password });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('RATE_LIMITED');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another account from the same address is not affected.
    const b = await createAccount(t);
    expect((await t.api.post('/auth/login', { email: b.email, password: b.password })).status).toBe(
      200,
    );
  });
});
