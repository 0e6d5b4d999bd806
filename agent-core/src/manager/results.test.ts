import { describe, expect, it, vi } from 'vitest';
import { CliError } from '../cli/output.js';
import { ApiError } from '../client/apiError.js';
import { CodedError } from '../errors/codedError.js';
import { SecretError } from '../secrets/secretError.js';
import { SettingsError } from '../settings/settingsError.js';
import { TunnelError } from '../tunnels/tunnelError.js';
import { WireGuardError } from '../wireguard/wireguardError.js';
import {
  attempt,
  FAILURE_ERRORS,
  ManagerError,
  toFailure,
  type FailureErrorClass,
} from './results.js';

describe('toFailure', () => {
  it.each([
    ['ApiError', new ApiError('RATE_LIMITED', 'Too many attempts', 429)],
    ['TunnelError', new TunnelError('NO_HANDSHAKE', 'No handshake from the relay')],
    ['SecretError', new SecretError('KEYCHAIN_LOCKED', 'the keychain is locked')],
    ['SettingsError', new SettingsError('SETTINGS_UNAVAILABLE', 'cannot write', { path: '/x' })],
    ['ManagerError', new ManagerError('TOKEN_MISSING', '"Blog" has no token')],
  ])('keeps the code and message of a %s, and no fields it does not have', (_name, error) => {
    expect(toFailure(error)).toEqual({ ok: false, code: error.code, message: error.message });
    expect(error).toBeInstanceOf(CodedError);
  });

  it('carries the field messages of a validation failure, from the API or the Manager', () => {
    const api = new ApiError('VALIDATION_ERROR', 'Invalid request', 422, {
      fields: { email: 'is already registered' },
    });
    const manager = new ManagerError('VALIDATION_ERROR', 'Only Cloudflare connections', {
      token: 'is only for Cloudflare connections',
    });

    expect(toFailure(api)).toMatchObject({ fields: { email: 'is already registered' } });
    expect(toFailure(manager)).toMatchObject({
      fields: { token: 'is only for Cloudflare connections' },
    });
  });

  it.each([
    ['WireGuardError', new WireGuardError('KEY_INVALID', 'not a WireGuard key')],
    ['CliError', new CliError('USAGE', 'unknown option --x', 'see --help')],
    ['CodedError of no known class', new CodedError('SOMETHING_NEW', 'a code with no words')],
  ])('turns a %s, whose code the renderer has no words for, into INTERNAL', (_name, error) => {
    expect(toFailure(error)).toEqual({
      ok: false,
      code: 'INTERNAL',
      message: 'Something went wrong in Cloud Connect. Try again; the log has details.',
    });
  });

  it('lists only error classes whose codes are FailureCodes', () => {
    // @ts-expect-error KEY_INVALID and COMMAND_FAILED are not FailureCodes
    const wireGuard: FailureErrorClass = WireGuardError;
    // @ts-expect-error the CLI's codes are not FailureCodes
    const cli: FailureErrorClass = CliError;
    expect(FAILURE_ERRORS).not.toContain(wireGuard);
    expect(FAILURE_ERRORS).not.toContain(cli);
  });

  it('turns anything that is not a coded error into INTERNAL without its details', () => {
    const failure = toFailure(new TypeError('cannot read secretToken of undefined'));

    expect(failure).toEqual({
      ok: false,
      code: 'INTERNAL',
      message: 'Something went wrong in Cloud Connect. Try again; the log has details.',
    });
    expect(toFailure('a string')).toMatchObject({ code: 'INTERNAL' });
  });
});

describe('attempt', () => {
  it('reports only unexpected causes, and answers every failure as a value', async () => {
    const onUnexpected = vi.fn();
    const bug = new RangeError('bug');

    await expect(attempt(async () => 7, onUnexpected)).resolves.toEqual({ ok: true, value: 7 });
    await expect(
      attempt(() => Promise.reject(new SecretError('NO_KEYCHAIN', 'none')), onUnexpected),
    ).resolves.toMatchObject({ ok: false, code: 'NO_KEYCHAIN' });
    await expect(attempt(() => Promise.reject(bug), onUnexpected)).resolves.toMatchObject({
      code: 'INTERNAL',
    });
    const escaped = new WireGuardError('COMMAND_FAILED', 'wg: Unable to modify interface');
    await expect(attempt(() => Promise.reject(escaped), onUnexpected)).resolves.toMatchObject({
      code: 'INTERNAL',
    });
    expect(onUnexpected.mock.calls).toEqual([[bug], [escaped]]);
  });
});
