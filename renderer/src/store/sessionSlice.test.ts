import type { Failure } from '@cloud-connect/agent-core/desktop';
import { describe, expect, it } from 'vitest';
import { failure, requestError } from '../testing/answers.js';
import { scriptedStore, settle, signedIn, signedOut } from '../testing/scriptedDesktopApi.js';
import type { SignUpDraft } from './sessionSlice.js';
import { offersLocalVerification, tokenFromLink } from './sessionSlice.js';

/** A sign-up form filled in correctly; tests spread over it what they are about. */
const ADA: SignUpDraft = {
  name: 'Ada',
  email: 'ada@example.com',
  password: 'correct horse',
  password_confirmation: 'correct horse',
  accept_terms: true,
  accept_privacy: true,
  accept_marketing: false,
};

describe('sessionSlice', () => {
  it('loads the session and app info on start and stays on sign-in when signed out', async () => {
    const { store, host } = scriptedStore();

    store.getState().start();
    await settle();

    expect(store.getState().session).toEqual(signedOut);
    expect(store.getState().appInfo?.host).toBe('web');
    expect(store.getState().route).toEqual({ name: 'signIn' });
    expect(host.callsOf('listConnections')).toHaveLength(0);
  });

  it('signs in, opens the connections screen and loads the account’s data', async () => {
    const { store, host } = scriptedStore();
    host.answer('signIn', { ok: true, value: signedIn });

    const ok = await store.getState().signIn('ada@example.com', 'correct horse');
    await settle();

    expect(ok).toBe(true);
    expect(host.callsOf('signIn')).toEqual([['ada@example.com', 'correct horse']]);
    expect(store.getState().session).toEqual(signedIn);
    expect(store.getState().route).toEqual({ name: 'connections' });
    for (const method of [
      'listConnections',
      'listInstances',
      'getSubscription',
      'getLogs',
    ] as const)
      expect(host.callsOf(method)).toHaveLength(1);
  });

  it('shows pending state while signing in and a wrong password next to the password field', async () => {
    const { store, host } = scriptedStore();
    let answer: (value: Failure) => void = () => {};
    host.handle('signIn', () => new Promise((resolve) => (answer = resolve)));

    const signingIn = store.getState().signIn('ada@example.com', 'nope');
    expect(store.getState().requests.signIn).toEqual({ pending: true, error: null });
    answer(failure('UNAUTHORIZED', 'Invalid credentials'));
    await signingIn;

    const error = store.getState().requests.signIn?.error;
    expect(error?.message).toMatch(/email and password do not match/);
    expect(error?.fields.password).toBe('Email or password is incorrect.');
    expect(store.getState().route).toEqual({ name: 'signIn' });
  });

  it('remembers the address when sign-in says the email is not verified, and offers to verify', async () => {
    const { store, host } = scriptedStore();
    host.answer('signIn', failure('EMAIL_NOT_VERIFIED', 'verify first'));

    await store.getState().signIn(' ada@example.com ', 'pw');

    expect(store.getState().pendingEmail).toBe('ada@example.com');
    expect(store.getState().requests.signIn?.error?.action).toEqual({
      label: 'Verify email',
      route: { name: 'verifyEmail' },
    });
  });

  it('after sign-up, asks for the emailed link on the verify screen', async () => {
    const { store, host } = scriptedStore();
    host.answer('signUp', {
      ok: true,
      value: { email: 'ada@example.com', message: 'Check your email' },
    });

    await store.getState().signUp(ADA);

    expect(store.getState().route).toEqual({ name: 'verifyEmail' });
    expect(store.getState().pendingEmail).toBe('ada@example.com');
    expect(store.getState().flash?.text).toMatch(/^Check your mail\. .*ada@example\.com/);
  });

  it('maps the host’s field errors to input names, whatever prefix they carry', async () => {
    const { store, host } = scriptedStore();
    host.answer(
      'signUp',
      failure('VALIDATION_ERROR', 'Invalid request', {
        '0.password_confirmation': 'does not match password',
        'body.email': 'must be an email address',
      }),
    );

    await store.getState().signUp({ ...ADA, email: 'x' });

    expect(requestError(store, 'signUp')?.fields).toEqual({
      password_confirmation: 'Does not match password.',
      email: 'Must be an email address.',
    });
    expect(store.getState().route).toEqual({ name: 'signIn' });
  });

  it.each([
    {
      asks: 'the consents and a matching confirmation',
      form: { password_confirmation: 'correct hose', accept_terms: false },
      fields: {
        accept_terms: 'Please accept the terms to continue.',
        password_confirmation: 'Does not match the password.',
      },
    },
    {
      asks: 'a name, an email and an 8-character password',
      form: { name: ' ', email: '', password: 'short', password_confirmation: 'short' },
      fields: {
        name: 'Enter your name.',
        email: 'Enter your email address.',
        password: 'Use at least 8 characters.',
      },
    },
  ])('asks for $asks before sending anything', async ({ form, fields }) => {
    const { store, host } = scriptedStore();

    await store.getState().signUp({ ...ADA, ...form });

    expect(host.callsOf('signUp')).toHaveLength(0);
    expect(requestError(store, 'signUp')?.fields).toEqual(fields);
  });

  it('refuses an empty verification code without asking the host', async () => {
    const { store, host } = scriptedStore();

    expect(await store.getState().verifyEmail('   ')).toBe(false);

    expect(host.callsOf('verifyEmail')).toHaveLength(0);
    expect(requestError(store, 'verifyEmail')?.fields.token).toMatch(/Paste the link/);
  });

  it.each([
    [
      'a pasted link',
      'verifyEmail',
      'http://relay/verify?token=abc',
      'http://relay/verify?token=abc',
    ],
    ['one click on the local relay', 'verifyEmailLocally', ' ada@example.com ', 'ada@example.com'],
  ] as const)(
    'verifies the email by %s and sends a signed-out user to sign in with a confirmation',
    async (_how, method, input, sent) => {
      const { store, host } = scriptedStore();
      host.answer(method, { ok: true, value: { message: 'verified' } });
      store.getState().navigate({ name: 'verifyEmail' });

      expect(await store.getState()[method](input)).toBe(true);

      expect(host.callsOf(method)).toEqual([[sent]]);
      expect(store.getState().route).toEqual({ name: 'signIn' });
      expect(store.getState().flash).toMatchObject({
        tone: 'success',
        text: expect.stringMatching(/verified/),
      });
    },
  );

  it('offers one-click verification only while the app uses the local relay the host names', async () => {
    const { store, host } = scriptedStore();
    const local = 'http://127.0.0.1:8787';
    host.answer('getAppInfo', {
      ok: true,
      value: {
        version: '0.1.0',
        host: 'web',
        platform: 'linux',
        launchAtLogin: null,
        localRelayUrl: local,
      },
    });
    host.answer('getSession', { ok: true, value: { ...signedOut, relayUrl: local } });
    store.getState().start();
    await settle();
    expect(offersLocalVerification(store.getState())).toBe(true);

    store.getState().applySession({ ...signedOut, relayUrl: 'https://relay.example.com' });
    expect(offersLocalVerification(store.getState())).toBe(false);
  });

  it('says when the local outbox holds no verification mail for the address', async () => {
    const { store, host } = scriptedStore();
    host.answer('verifyEmailLocally', failure('NOT_FOUND', 'no mail'));
    store.getState().navigate({ name: 'verifyEmail' });

    expect(await store.getState().verifyEmailLocally('ada@example.com')).toBe(false);

    expect(requestError(store, 'verifyEmailLocally')?.message).toMatch(
      /No verification mail to that address/,
    );
    expect(store.getState().route).toEqual({ name: 'verifyEmail' });
  });

  it('sends the reset code taken from a pasted link', async () => {
    const { store, host } = scriptedStore();
    host.answer('resetPassword', { ok: true, value: { message: 'ok' } });

    await store.getState().resetPassword({
      tokenOrLink: 'https://relay.example.com/v1/auth/reset-password?token=rst_123',
      password: 'new password',
      password_confirmation: 'new password',
    });

    expect(host.callsOf('resetPassword')).toEqual([
      [{ token: 'rst_123', password: 'new password', password_confirmation: 'new password' }],
    ]);
    expect(store.getState().route).toEqual({ name: 'signIn' });
  });

  it('explains an expired reset link and offers a new one', async () => {
    const { store, host } = scriptedStore();
    host.answer('resetPassword', failure('UNAUTHORIZED', 'invalid token'));

    await store.getState().resetPassword({
      tokenOrLink: 'old',
      password: 'new password',
      password_confirmation: 'new password',
    });

    const error = store.getState().requests.resetPassword?.error;
    expect(error?.fields.token).toMatch(/expired/);
    expect(error?.action?.route).toEqual({ name: 'forgotPassword' });
  });

  it('leaves the account’s screens and forgets its data when the host says the session ended', async () => {
    const { store, host } = scriptedStore();
    host.answer('getSession', { ok: true, value: signedIn });
    host.answer('listInstances', {
      ok: true,
      value: [
        {
          id: 'inst_abcdefghij',
          name: 'Files',
          subdomain: 'files',
          custom_domain: null,
          status: 'pending',
          tunnel_ip: '10.100.0.2',
          last_seen: null,
          created_at: '2025-06-01T10:00:00.000Z',
        },
      ],
    });
    store.getState().start();
    await settle();
    store.getState().navigate({ name: 'instances' });
    expect(store.getState().instances).toHaveLength(1);

    host.emit('session', signedOut);

    expect(store.getState().route).toEqual({ name: 'signIn' });
    expect(store.getState().instances).toEqual([]);
  });

  it('does not move a signed-out user off the settings screen', async () => {
    const { store } = scriptedStore();
    store.getState().navigate({ name: 'settings' });

    store.getState().start();
    await settle();

    expect(store.getState().route).toEqual({ name: 'settings' });
  });
});

describe('tokenFromLink', () => {
  it('takes the token from a link’s query or fragment and keeps a bare code as it is', () => {
    expect(tokenFromLink('https://x.example/reset?token=abc')).toBe('abc');
    expect(tokenFromLink('http://x.example/reset#token=def')).toBe('def');
    expect(tokenFromLink('  ghi  ')).toBe('ghi');
  });
});
