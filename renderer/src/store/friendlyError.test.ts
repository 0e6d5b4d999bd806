import type { FailureCode } from '@cloud-connect/agent-core/desktop';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { friendlyError, tunnelErrorWords, WORDING } from './friendlyError.js';

describe('friendlyError', () => {
  it('words a network failure with what to do and where', () => {
    const error = friendlyError({ ok: false, code: 'NETWORK_ERROR', message: 'fetch failed' });

    expect(error.message).toMatch(/cannot reach the relay server.*Settings/);
    expect(error.action?.route).toEqual({ name: 'settings' });
  });

  it('puts a taken subdomain next to the subdomain input', () => {
    expect(friendlyError({ ok: false, code: 'SUBDOMAIN_TAKEN', message: 'in use' }).fields).toEqual(
      {
        subdomain: 'Already taken. Try another name.',
      },
    );
  });

  it('keeps the host’s own field message over the generic one', () => {
    const error = friendlyError({
      ok: false,
      code: 'SUBDOMAIN_TAKEN',
      message: 'in use',
      fields: { subdomain: 'is reserved for the service' },
    });

    expect(error.fields.subdomain).toBe('Is reserved for the service.');
  });

  it('uses the host’s message for a code it does not know', () => {
    // A newer host may answer with a code this renderer was built without.
    const code = 'SOMETHING_NEW' as FailureCode;

    expect(friendlyError({ ok: false, code, message: 'the disk is full' }).message).toBe(
      'The disk is full.',
    );
  });

  it('has words for every code a failed call can carry, and only for those', () => {
    expectTypeOf<keyof typeof WORDING>().toEqualTypeOf<FailureCode>();
    for (const [code, wording] of Object.entries(WORDING)) {
      expect(wording.message, code).toMatch(/^[A-Z].*[.?]$/);
    }
  });

  it('does not build when a code has no words', () => {
    const { TOKEN_MISSING: left, ...withoutOne } = WORDING;
    // @ts-expect-error TOKEN_MISSING is a FailureCode, so a table without it is incomplete.
    const incomplete: Record<FailureCode, unknown> = withoutOne;

    expect(left.message).toMatch(/no token/);
    expect(Object.keys(incomplete)).not.toContain('TOKEN_MISSING');
  });

  it('words a local store failure with what to do, keeping the detail that names the file', () => {
    const error = friendlyError({
      ok: false,
      code: 'SECRET_KEY_WRONG',
      message: 'CLOUD_CONNECT_SECRET_KEY is not the key /data/secrets.json was written with',
    });

    expect(error.message).toMatch(
      /^CLOUD_CONNECT_SECRET_KEY is not the key .*Set the original key/,
    );
    expect(error.message).toContain('/data/secrets.json');
    expect(
      friendlyError({ ok: false, code: 'SETTINGS_NEWER_VERSION', message: 'v9' }).message,
    ).toMatch(/Update Cloud Connect/);
  });

  it('lets the Manager’s message name the connection that has no token', () => {
    expect(
      friendlyError({
        ok: false,
        code: 'TOKEN_MISSING',
        message: '"Blog" has no Cloudflare tunnel token; edit it and paste the token',
      }).message,
    ).toBe('"Blog" has no Cloudflare tunnel token; edit it and paste the token.');
  });

  it('uses the host’s message for a validation error that names no field', () => {
    expect(
      friendlyError({ ok: false, code: 'VALIDATION_ERROR', message: 'change at least one field' })
        .message,
    ).toBe('Change at least one field.');
  });

  it('reads UNAUTHORIZED as wrong credentials at sign-in and as an expired session elsewhere', () => {
    const failure = { ok: false as const, code: 'UNAUTHORIZED' as const, message: 'no' };

    expect(friendlyError(failure, 'signIn').message).toMatch(/do not match/);
    expect(friendlyError(failure, 'loadInstances').message).toMatch(/session has expired/);
  });

  it('words a tunnel error by its cause, never as an internet problem the cause rules out', () => {
    const noHandshake = tunnelErrorWords(
      'NO_HANDSHAKE',
      'No WireGuard handshake from the relay after 12 s (UDP to relay.example.com:51820 blocked?)',
    );
    expect(noHandshake).toBe(
      'No WireGuard handshake from the relay after 12 s (UDP to relay.example.com:51820 blocked?).',
    );
    const refused = tunnelErrorWords(
      'TARGET_UNAVAILABLE',
      'The app at localhost:8080 refused the connection: is it running and listening on port 8080?',
    );
    expect(refused).toMatch(/^The app at localhost:8080 refused the connection/);
    const relayError = tunnelErrorWords('RELAY_ERROR', null);
    for (const words of [noHandshake, refused, relayError, tunnelErrorWords('UNREACHABLE', null)]) {
      expect(words).not.toMatch(/internet connection/i);
    }
    expect(tunnelErrorWords('RELAY_WITHOUT_WIREGUARD', null)).toBe(
      'This relay runs without WireGuard, so the tunnel cannot carry traffic.',
    );
  });
});
