import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logging/logger.js';
import { LogCapture } from '../testing/logCapture.js';
import {
  mailText,
  registration,
  startSmtpRelay,
  startSmtpServer,
  startTestRelay,
  until,
  type TestRelay,
  type TestSmtpServer,
} from '../testing/index.js';
import { outboxMailer } from './mailer.js';

const SMTP_USER = 'relay-mailer';
const SMTP_PASSWORD = 'smtp-password-for-tests';
const PUBLIC_URL = 'https://relay.example.test';

const signUp = (email: string) => registration('Mail Tester', email, 'mail tester password');

let smtp: TestSmtpServer | undefined;
let t: TestRelay | undefined;
afterEach(async () => {
  smtp?.release(); // a held message would keep the relay's close waiting for its delivery
  await t?.stop();
  await smtp?.close();
  t = undefined;
  smtp = undefined;
});

describe('mail over SMTP (SMTP_URL)', () => {
  beforeEach(async () => {
    ({ smtp, t } = await startSmtpRelay(SMTP_USER, SMTP_PASSWORD, {
      relay: { env: { RELAY_PUBLIC_URL: PUBLIC_URL } },
    }));
  });

  it('delivers the verification mail with a <RELAY_PUBLIC_URL>/verify-email link that works', async () => {
    const res = await t!.api.post('/auth/register', signUp('smtp-user@example.test'));
    expect(res.status).toBe(201);
    await until('the verification mail', () => smtp!.received.length === 1);
    const mail = smtp!.received[0]!;
    expect(mail.user).toBe(SMTP_USER);
    expect(mail.from).toBe('no-reply@cloud.test');
    expect(mail.to).toEqual(['smtp-user@example.test']);
    expect(mail.raw).toMatch(/^Subject: Confirm your Cloud Connect email address$/m);
    expect(mail.raw).toMatch(/content-type:\s*text\/html/i);

    const text = mailText(mail.raw);
    const link = new RegExp(`${PUBLIC_URL}/verify-email\\?token=([A-Za-z0-9_-]{43})\\b`).exec(text);
    expect(link, text).not.toBeNull();
    t!.ledger.add(link![1]);
    const verify = await t!.api.post('/auth/verify-email', { token: link![1] });
    expect(verify.status).toBe(200);
    expect(verify.body.user.account_status).toBe('active');
    // SMTP replaces the outbox: nothing is written there.
    expect(await t!.outbox()).toEqual([]);
  });

  it('delivers the reset mail with a <RELAY_PUBLIC_URL>/reset-password link', async () => {
    await t!.api.post('/auth/register', signUp('smtp-reset@example.test'));
    const res = await t!.api.post('/auth/forgot-password', { email: 'smtp-reset@example.test' });
    expect(res.status).toBe(200);
    await until('the reset mail', () => smtp!.received.length === 2);
    const text = mailText(smtp!.received[1]!.raw);
    expect(text).toMatch(new RegExp(`${PUBLIC_URL}/reset-password\\?token=[A-Za-z0-9_-]{43}\\b`));
  });
});

describe('with a slow SMTP server', () => {
  it('resend-verification and forgot-password answer without waiting for it, so their timing does not tell who has an account', async () => {
    // The server accepts no message until released: an endpoint that waited for the mail
    // server would not answer at all, whatever the machine's speed.
    ({ smtp, t } = await startSmtpRelay(SMTP_USER, SMTP_PASSWORD, { hold: true }));
    const reg = await t.api.post('/auth/register', signUp('slow-mail@example.test'));
    expect(reg.status).toBe(201);
    for (const [path, email] of [
      ['/auth/resend-verification', 'slow-mail@example.test'],
      ['/auth/resend-verification', 'nobody-slow@example.test'],
      ['/auth/forgot-password', 'slow-mail@example.test'],
      ['/auth/forgot-password', 'nobody-slow@example.test'],
    ] as const) {
      const res = await t.api.post(path, { email });
      expect(res.status, `${path} for ${email}`).toBe(200);
      expect(smtp.received, `${path} for ${email}`).toHaveLength(0);
    }
    smtp.release();
    // The mails still arrive: sign-up's, the resent one and the reset one.
    await until('three mails', () => smtp!.received.length === 3);
    expect(smtp.received.map((m) => m.to)).toEqual([
      ['slow-mail@example.test'],
      ['slow-mail@example.test'],
      ['slow-mail@example.test'],
    ]);
  });
});

describe('when the SMTP server refuses the relay', () => {
  it('forgot-password answers the same for an account and for none, and the log says why', async () => {
    smtp = await startSmtpServer(SMTP_USER, SMTP_PASSWORD);
    t = await startTestRelay({
      env: { SMTP_URL: `smtp://${SMTP_USER}:wrong-password-here@127.0.0.1:${smtp.port}` },
    });
    t.ledger.add('wrong-password-here');
    const reg = await t.api.post('/auth/register', signUp('no-mail@example.test'));
    expect(reg.status).toBe(201);
    const existing = await t.api.post('/auth/forgot-password', { email: 'no-mail@example.test' });
    const missing = await t.api.post('/auth/forgot-password', { email: 'nobody@example.test' });
    expect(existing.status).toBe(200);
    expect(existing.body).toEqual(missing.body);
    const failures = await until('both failures logged', () => {
      const logged = t!.logs.records().filter((r) => r.msg === 'mail could not be sent');
      return logged.length === 2 && logged;
    });
    expect(smtp.received).toHaveLength(0);
    expect(failures[0]).toMatchObject({
      level: 'error',
      mail: 'smtp',
      subject: 'Confirm your Cloud Connect email address',
    });
  });
});

describe('the outbox transport (no SMTP_URL)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cc-outbox-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one owner-only JSON file per message with to, subject, text and html', async () => {
    const logs = new LogCapture();
    const mailer = outboxMailer(dir, createLogger('debug', logs));
    const secretLink = 'https://relay.test/verify-email?token=outbox-secret-token-value';
    await mailer.send({ to: 'a@example.test', subject: 'One', text: secretLink, html: '<p>1</p>' });
    await mailer.send({ to: 'b@example.test', subject: 'Two', text: 'two', html: '<p>2</p>' });
    const files = (await readdir(path.join(dir, 'outbox'))).sort();
    expect(files).toHaveLength(2);
    for (const f of files) expect(f).toMatch(/\.json$/);
    const mails = await Promise.all(
      files.map(async (f) => {
        const file = path.join(dir, 'outbox', f);
        expect((await stat(file)).mode & 0o777).toBe(0o600);
        return JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
      }),
    );
    expect(mails.map((m) => Object.keys(m).sort())).toEqual([
      ['html', 'sent_at', 'subject', 'text', 'to'],
      ['html', 'sent_at', 'subject', 'text', 'to'],
    ]);
    expect(mails.map((m) => m.to).sort()).toEqual(['a@example.test', 'b@example.test']);
    expect(mails.find((m) => m.to === 'a@example.test')).toMatchObject({
      subject: 'One',
      text: secretLink,
      html: '<p>1</p>',
    });
    // The log names the file, never the link with its token.
    expect(logs.text()).toContain('mail written to outbox');
    expect(logs.text()).not.toContain('outbox-secret-token-value');
  });

  it('registration writes the verification mail with a <RELAY_PUBLIC_URL>/verify-email link', async () => {
    t = await startTestRelay({ env: { RELAY_PUBLIC_URL: PUBLIC_URL } });
    await t.api.post('/auth/register', signUp('outbox-user@example.test'));
    const [mail, ...rest] = await t.outbox();
    expect(rest).toEqual([]);
    expect(mail).toMatchObject({
      to: 'outbox-user@example.test',
      subject: 'Confirm your Cloud Connect email address',
    });
    expect(mail!.text).toMatch(
      new RegExp(`${PUBLIC_URL}/verify-email\\?token=[A-Za-z0-9_-]{43}\\b`),
    );
    expect(mail!.html).toContain(`${PUBLIC_URL}/verify-email?token=`);
  });
});
