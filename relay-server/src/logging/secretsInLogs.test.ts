import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  mailText,
  startSmtpRelay,
  until,
  type TestRelay,
  type TestSmtpServer,
} from '../testing/index.js';
import { generateKeyPair } from '@cloud-connect/agent-core/wireguard';

/**
 * A whole account's life at debug log level, then a scan of everything the relay logged for
 * every password, token and key the run used. The harness scans again when the relay stops.
 */

const SMTP_PASSWORD = 'smtp-secret-password';
const STRIPE_SECRET_KEY = 'sk_test_secret_key_for_the_log_scan';
const STRIPE_WEBHOOK_SECRET = 'whsec_secret_for_the_log_scan';

let smtp: TestSmtpServer;
let t: TestRelay;
/** Error bodies the run received, scanned too: a secret may not come back in an error. */
const errorBodies: string[] = [];

beforeAll(async () => {
  ({ smtp, t } = await startSmtpRelay('relay', SMTP_PASSWORD, {
    relay: {
      env: {
        STRIPE_SECRET_KEY,
        STRIPE_WEBHOOK_SECRET,
        STRIPE_PRICE_PRO: 'price_pro_scan',
        STRIPE_PRICE_BUSINESS: 'price_business_scan',
        STRIPE_API_BASE: 'http://127.0.0.1:9',
      },
    },
  }));
  for (const s of [smtp.url, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET]) {
    t.ledger.add(s);
  }
  // The relay's own keys, generated into the data dir at start.
  t.ledger.add((await readFile(path.join(t.dataDir, 'relay-secret'), 'utf8')).trim());
  t.ledger.add((await readFile(path.join(t.dataDir, 'wireguard.key'), 'utf8')).trim());
});

afterAll(async () => {
  await t?.stop();
  await smtp?.close();
});

/** The token in the newest SMTP message to `to` whose link opens `page` (delivery is async). */
function smtpToken(to: string, page: 'verify-email' | 'reset-password'): Promise<string> {
  return until(`a ${page} mail to ${to}`, () => {
    for (const mail of [...smtp.received].reverse()) {
      if (!mail.to.includes(to)) continue;
      const m = new RegExp(`/${page}\\?token=([A-Za-z0-9_-]+)`).exec(mailText(mail.raw));
      if (m?.[1]) {
        t.ledger.add(m[1]);
        return m[1];
      }
    }
    return null;
  });
}

async function expectStatus(
  res: Promise<{ status: number; text: string }>,
  status: number,
): Promise<void> {
  const r = await res;
  expect(r.status, r.text).toBe(status);
  if (status >= 400) errorBodies.push(r.text);
}

describe('secrets in the logs', () => {
  it('none of the run’s passwords, tokens or keys appears in the debug log', async () => {
    const api = t.api;
    const email = 'scan-user@example.test';
    const password = 'first secret password';
    const newPassword = 'second secret password';
    t.ledger.add(password);
    t.ledger.add(newPassword);

    // Sign up, with a typo first, then verify through the page the link opens.
    await expectStatus(
      api.post('/auth/register', {
        name: 'Scan User',
        email,
        password,
        password_confirmation: `${password}-typo`,
        accept_terms: true,
        accept_privacy: true,
      }),
      422,
    );
    await expectStatus(
      api.post('/auth/register', {
        name: 'Scan User',
        email,
        password,
        password_confirmation: password,
        accept_terms: true,
        accept_privacy: true,
      }),
      201,
    );
    const verifyToken = await smtpToken(email, 'verify-email');
    const page = await fetch(`${t.url}/verify-email`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: verifyToken }).toString(),
    });
    expect(page.status).toBe(200);

    // Sign in: wrong password, malformed JSON holding the password, then right.
    await expectStatus(api.post('/auth/login', { email, password: newPassword }), 401);
    const malformed = await api.post('/auth/login', `{"email":"${email}","password":${password}}`);
    expect(malformed.status).toBe(422);
    // V8's JSON error quotes the text around the fault: none of it may come back.
    expect(malformed.text).not.toContain(password.slice(0, 6));
    const login = await api.post('/auth/login', { email, password });
    expect(login.status).toBe(200);
    const { access_token: access, refresh_token: refresh } = login.body;

    // Refresh, then reuse the rotated refresh token (the family is revoked).
    const refreshed = await api.post('/auth/refresh', { refresh_token: refresh });
    expect(refreshed.status).toBe(200);
    await expectStatus(api.post('/auth/refresh', { refresh_token: refresh }), 401);
    await expectStatus(api.get('/user', { token: `${access}x` }), 401);

    // Forgot and reset the password, sign in with the new one.
    await expectStatus(api.post('/auth/forgot-password', { email }), 200);
    const resetToken = await smtpToken(email, 'reset-password');
    await expectStatus(
      api.post('/auth/reset-password', {
        token: resetToken,
        password: newPassword,
        password_confirmation: newPassword,
      }),
      200,
    );
    await expectStatus(
      api.post('/auth/reset-password', {
        token: resetToken,
        password: newPassword,
        password_confirmation: newPassword,
      }),
      422,
    );
    const relogin = await api.post('/auth/login', { email, password: newPassword });
    expect(relogin.status).toBe(200);
    const token = relogin.body.access_token as string;
    await expectStatus(api.patch('/user', { name: 'Scan User Renamed' }, { token }), 200);
    await expectStatus(api.post('/billing/checkout', { plan: 'pro' }, { token }), 503);

    // An instance, its token regenerated, and a tunnel registered with a local key pair.
    await expectStatus(api.get('/subdomains/check?subdomain=scan-site', { token }), 200);
    const created = await api.post(
      '/instances',
      { name: 'Scan', subdomain: 'scan-site' },
      { token },
    );
    expect(created.status).toBe(201);
    const instanceId = created.body.instance.id as string;
    const firstInstanceToken = created.body.credentials.instance_token as string;
    const regen = await api.post(`/instances/${instanceId}/regenerate-token`, undefined, { token });
    expect(regen.status).toBe(200);
    const instanceToken = regen.body.instance_token as string;
    const keys = generateKeyPair();
    t.ledger.add(keys.privateKey);
    await expectStatus(
      api.post('/tunnel/register', { public_key: keys.publicKey }, { token: firstInstanceToken }),
      401,
    );
    await expectStatus(
      api.post('/tunnel/register', { public_key: keys.publicKey }, { token: instanceToken }),
      200,
    );
    await expectStatus(api.post('/tunnel/heartbeat', {}, { token: instanceToken }), 200);
    await expectStatus(api.get('/tunnel/status', { token: instanceToken }), 200);
    await expectStatus(api.post('/tunnel/disconnect', undefined, { token: instanceToken }), 200);
    const webhook = await fetch(`${t.url}/v1/billing/webhook`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': `t=1,v1=${STRIPE_WEBHOOK_SECRET}`,
      },
      body: '{}',
    });
    expect(webhook.status).toBe(400);
    await expectStatus(api.delete(`/instances/${instanceId}`, { token }), 204);

    // The scan is only worth something if there was much to find and much logged.
    expect(t.ledger.size).toBeGreaterThanOrEqual(15);
    const records = t.logs.records();
    expect(records.filter((r) => r.level === 'debug').length).toBeGreaterThanOrEqual(20);
    expect(records.some((r) => r.msg === 'mail sent over SMTP')).toBe(true);
    expect(t.ledger.leakedIn(t.logs.text())).toEqual([]);
    expect(errorBodies.length).toBeGreaterThanOrEqual(7);
    expect(t.ledger.leakedIn(errorBodies.join('\n'))).toEqual([]);
  });
});
