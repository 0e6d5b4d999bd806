import { ResetPasswordRequest } from '@cloud-connect/agent-core/api';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAccount, registration } from '../../testing/index.js';
import { useTestRelay } from '../../testing/relayFixtures.js';

const ctx = useTestRelay();

const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";

/** A page request as a browser makes it: GET a link, or POST the page's form. */
async function page(path: string, form?: Record<string, string>) {
  const res = await fetch(`${ctx.t.url}${path}`, {
    method: form ? 'POST' : 'GET',
    ...(form
      ? {
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(form).toString(),
        }
      : {}),
  });
  for (const v of Object.values(form ?? {})) ctx.t.ledger.add(v);
  return { status: res.status, headers: res.headers, html: await res.text() };
}

function expectPage(res: Awaited<ReturnType<typeof page>>, status: number, heading: string) {
  expect(res.status, res.html).toBe(status);
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(res.headers.get('content-security-policy')).toBe(CSP);
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  // The link pages carry a token in their URL and form: no cache may keep them.
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.html).toContain(`<h1>${heading}</h1>`);
  expect(res.html).not.toMatch(/<script/i);
}

async function registered(email: string) {
  const password = 'page tester password';
  const reg = await ctx.t.api.post('/auth/register', registration('Page Tester', email, password));
  expect(reg.status).toBe(201);
  return { id: reg.body.user.id as string, password };
}

describe('/verify-email (the link in the verification mail)', () => {
  it('GET shows a confirm button and changes nothing (mail scanners prefetch links)', async () => {
    const user = await registered('page-verify@example.test');
    const token = await ctx.t.mailToken('page-verify@example.test', 'verify-email');
    const before = await ctx.t.relay.services.store.dump();
    const res = await page(`/verify-email?token=${token}`);
    expectPage(res, 200, 'Confirm your email');
    expect(res.html).toContain('<form method="post" action="/verify-email">');
    expect(res.html).toContain(`name="token" value="${token}"`);
    expect(await ctx.t.relay.services.store.dump()).toEqual(before);
    expect(before.users[user.id]?.emailVerifiedAt).toBeNull();
  });

  it('the form POST verifies the address once', async () => {
    const user = await registered('page-verify2@example.test');
    const token = await ctx.t.mailToken('page-verify2@example.test', 'verify-email');
    expectPage(await page('/verify-email', { token }), 200, 'Email confirmed');
    expect((await ctx.t.relay.services.store.users.get(user.id))?.emailVerifiedAt).not.toBeNull();
    // Single use: the same link again is an error page.
    expectPage(await page('/verify-email', { token }), 400, 'Link not valid');
  });

  it.each([
    ['a token that was never mailed', { token: 'never-mailed-token-value' }],
    ['an empty token', { token: '' }],
    ['no token at all', {}],
  ])('%s shows the error page with status 400 and changes nothing', async (_label, form) => {
    await registered('page-verify3@example.test');
    const before = await ctx.t.relay.services.store.dump();
    const res = await page('/verify-email', form as Record<string, string>);
    expectPage(res, 400, 'Link not valid');
    expect(res.html).toContain('send a new verification email');
    expect(await ctx.t.relay.services.store.dump()).toEqual(before);
  });

  it.each([
    ['no token', ''],
    ['an empty token', '?token='],
    ['a token cut short by a mail program', '?token=AbCdEfGhIjKlMnOpQrStUvWxYz012345'],
    ['a token that is markup', `?token=${encodeURIComponent('"><script>alert(1)</script>')}`],
    ['two tokens', '?token=a&token=b'],
  ])(
    'GET with %s says the link is not complete (400), echoes nothing, changes nothing',
    async (_l, query) => {
      for (const path of ['/verify-email', '/reset-password']) {
        const before = await ctx.t.relay.services.store.dump();
        const res = await page(`${path}${query}`);
        expectPage(res, 400, 'Link not complete');
        expect(res.html).toContain('copy the whole link');
        expect(res.html).not.toContain('<form');
        expect(res.html).not.toContain('script&gt;');
        expect(await ctx.t.relay.services.store.dump()).toEqual(before);
      }
    },
  );
});

describe('/reset-password (the link in the reset mail)', () => {
  async function resetToken(email: string) {
    const res = await ctx.t.api.post('/auth/forgot-password', { email });
    expect(res.status).toBe(200);
    return ctx.t.mailToken(email, 'reset-password');
  }

  it('GET shows the form and changes nothing', async () => {
    await registered('page-reset@example.test');
    const token = await resetToken('page-reset@example.test');
    const before = await ctx.t.relay.services.store.dump();
    const res = await page(`/reset-password?token=${token}`);
    expectPage(res, 200, 'Choose a new password');
    expect(res.html).toContain('<form method="post" action="/reset-password">');
    expect(res.html).toContain('type="password"');
    expect(await ctx.t.relay.services.store.dump()).toEqual(before);
  });

  it('the form POST sets the new password and signs out every session', async () => {
    const account = await createAccount(ctx.t);
    const token = await resetToken(account.email);
    const res = await page('/reset-password', {
      token,
      password: 'a brand new password',
      password_confirmation: 'a brand new password',
    });
    expectPage(res, 200, 'Password changed');
    const oldLogin = await ctx.t.api.post('/auth/login', {
      email: account.email,
      password: account.password,
    });
    expect(oldLogin.status).toBe(401);
    const newLogin = await ctx.t.api.post('/auth/login', {
      email: account.email,
      password: 'a brand new password',
    });
    expect(newLogin.status).toBe(200);
    const refresh = await ctx.t.api.post('/auth/refresh', { refresh_token: account.refreshToken });
    expect(refresh.status).toBe(401);
    // Single use.
    const again = await page('/reset-password', {
      token,
      password: 'another new password',
      password_confirmation: 'another new password',
    });
    expectPage(again, 400, 'Choose a new password');
  });

  it.each([
    [
      'a token that was never mailed',
      'never-mailed-token-value',
      'a new password',
      'a new password',
      'token',
    ],
    ['a short password', null, 'short', 'short', 'password'],
    ['passwords that differ', null, 'a new password', 'another password', 'password confirmation'],
  ])(
    '%s shows the form again with the reason, status 400, and changes nothing',
    async (_label, badToken, password, confirmation, named) => {
      const { password: original } = await registered('page-reset2@example.test');
      const token = badToken ?? (await resetToken('page-reset2@example.test'));
      const before = await ctx.t.relay.services.store.dump();
      const res = await page('/reset-password', {
        token,
        password: password!,
        password_confirmation: confirmation!,
      });
      expectPage(res, 400, 'Choose a new password');
      expect(res.html).toMatch(new RegExp(`<p class="error">The ${named} [^<]+</p>`));
      expect(res.html).toContain(`name="token" value="${token}"`);
      expect(await ctx.t.relay.services.store.dump()).toEqual(before);
      const login = await ctx.t.api.post('/auth/login', {
        email: 'page-reset2@example.test',
        password: original,
      });
      expect(login.status).toBe(200);
    },
  );

  describe('accepts the same password lengths as the API', () => {
    const schema = z.toJSONSchema(ResetPasswordRequest, { io: 'input' }) as unknown as {
      properties: { password: { minLength: number; maxLength: number } };
    };
    const { minLength: min, maxLength: max } = schema.properties.password;

    it('the form inputs carry the schema’s minlength and maxlength', async () => {
      const res = await page(`/reset-password?token=${'x'.repeat(43)}`);
      const inputs = [...res.html.matchAll(/<input [^>]*type="password"[^>]*>/g)].map((m) => m[0]);
      expect(inputs).toHaveLength(2);
      for (const input of inputs) {
        expect(input).toContain(`minlength="${min}"`);
        expect(input).toContain(`maxlength="${max}"`);
      }
      expect(min).toBe(8);
      expect(max).toBe(256);
    });

    it.each([
      ['the shortest', () => min],
      ['the longest', () => max],
    ])('%s password is accepted by the API and by the form', async (_label, length) => {
      const account = await createAccount(ctx.t);
      const password = 'p'.repeat(length());
      const api = await ctx.t.api.post('/auth/reset-password', {
        token: await resetToken(account.email),
        password,
        password_confirmation: password,
      });
      expect(api.status, api.text).toBe(200);
      const form = await page('/reset-password', {
        token: await resetToken(account.email),
        password: `${password.slice(1)}q`,
        password_confirmation: `${password.slice(1)}q`,
      });
      expectPage(form, 200, 'Password changed');
      const login = await ctx.t.api.post('/auth/login', {
        email: account.email,
        password: `${password.slice(1)}q`,
      });
      expect(login.status).toBe(200);
    });

    it.each([
      ['one character too short', () => min - 1],
      ['one character too long', () => max + 1],
    ])(
      'a password %s is refused by both with the same rule, and nothing changes',
      async (_label, length) => {
        const account = await createAccount(ctx.t);
        const password = 'p'.repeat(length());
        const token = await resetToken(account.email);
        const before = await ctx.t.relay.services.store.dump();
        const api = await ctx.t.api.post('/auth/reset-password', {
          token,
          password,
          password_confirmation: password,
        });
        expect(api.status).toBe(422);
        const rule = api.body.error.details.fields.password as string;
        expect(rule).toMatch(/^must be at (least|most) \d+ characters$/);
        const form = await page('/reset-password', {
          token,
          password,
          password_confirmation: password,
        });
        expectPage(form, 400, 'Choose a new password');
        expect(form.html).toContain(`<p class="error">The password ${rule}.</p>`);
        expect(await ctx.t.relay.services.store.dump()).toEqual(before);
        // The token is still good: the refusals consumed nothing.
        const ok = await ctx.t.api.post('/auth/reset-password', {
          token,
          password: 'a fine new password',
          password_confirmation: 'a fine new password',
        });
        expect(ok.status).toBe(200);
      },
    );
  });
});
