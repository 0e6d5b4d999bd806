import { describe, expect, it } from 'vitest';
import { createAccount } from './accounts.js';
import { LogCapture, SecretLedger } from './logCapture.js';
import { startTestRelay } from './testRelay.js';

describe('SecretLedger', () => {
  it('collects secret-looking fields at any depth and ignores short values', () => {
    const ledger = new SecretLedger();
    ledger.collect({
      email: 'not-a-secret@example.test',
      password: 'password-one',
      nested: { credentials: { instance_token: 'instance-token-value', name: 'visible' } },
      list: [{ refresh_token: 'refresh-token-value' }],
      token: 'short',
    });
    expect(ledger.size).toBe(3);
    expect(ledger.leakedIn('email not-a-secret@example.test, name visible, short')).toEqual([]);
  });

  it('reports a leak masked, never the secret itself', () => {
    const ledger = new SecretLedger();
    ledger.add('super-secret-token-value');
    const leaked = ledger.leakedIn('{"msg":"oops","t":"super-secret-token-value"}');
    expect(leaked).toEqual(['supe…(24 chars)']);
    expect(leaked.join()).not.toContain('super-secret-token-value');
  });
});

describe("the harness's leak check", () => {
  it("fails a relay's stop when a token the test saw was logged", async () => {
    const t = await startTestRelay();
    const account = await createAccount(t);
    // On purpose, under a key the redaction list does not know.
    t.relay.services.logger.info({ leaked: account.accessToken }, 'a careless log line');
    const failure = await t.stop().then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(failure?.message).toMatch(/^secrets appeared in the relay log: /);
    expect(failure?.message).not.toContain(account.accessToken);
  });

  it('passes when secrets are logged under redacted keys', async () => {
    const t = await startTestRelay();
    const account = await createAccount(t);
    t.relay.services.logger.info(
      {
        password: account.password,
        token: account.accessToken,
        body: { refresh_token: account.refreshToken, password_confirmation: account.password },
      },
      'a log line with redacted fields',
    );
    expect(t.logs.text()).toContain('[redacted]');
    await expect(t.stop()).resolves.toBeUndefined();
  });

  it('LogCapture keeps each JSON line', () => {
    const capture = new LogCapture();
    capture.write('{"a":1}\n{"b":2}\n');
    expect(capture.records()).toEqual([{ a: 1 }, { b: 2 }]);
  });
});
