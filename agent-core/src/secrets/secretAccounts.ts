import { SecretError } from './secretError.js';

/** The service name every Cloud Connect secret is stored under in the keychain. */
export const SECRET_SERVICE = 'cloud-connect';

/**
 * Account names, one per secret. A name is a kind, optionally followed by `:` and the id it
 * belongs to, so a listing of accounts tells what is stored without revealing any value.
 */
export const secretAccounts = {
  /** The signed-in user's session (refresh token). */
  session: 'session',
  /** The instance token the relay issued for an instance (WireGuard registration, heartbeats). */
  instanceToken: (instanceId: string) => `instance-token:${instanceId}`,
  /** A Cloudflare tunnel token, per connection. */
  cloudflareToken: (connectionId: string) => `cloudflare-token:${connectionId}`,
  /** The WireGuard private key generated for a connection; it never leaves this machine. */
  wireguardKey: (connectionId: string) => `wireguard-key:${connectionId}`,
} as const;

const ACCOUNT = /^[a-z][a-z0-9-]{0,63}(:[A-Za-z0-9_.-]{1,128})?$/;

/** Largest secret the stores accept: tokens and keys are far smaller. */
export const MAX_SECRET_LENGTH = 64 * 1024;

/** Throws INVALID_ACCOUNT unless `account` is `kind` or `kind:id` (see `secretAccounts`). */
export function assertAccount(account: string): void {
  if (typeof account !== 'string' || !ACCOUNT.test(account)) {
    throw new SecretError(
      'INVALID_ACCOUNT',
      'account names are a lower-case kind, optionally followed by ":" and an id (e.g. "instance-token:inst_abc")',
      { account: String(account).slice(0, 200) },
    );
  }
}

/** Throws INVALID_SECRET for an empty or oversized value (the value itself is never echoed). */
export function assertSecret(secret: string): void {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new SecretError('INVALID_SECRET', 'a secret must be a non-empty string');
  }
  if (secret.length > MAX_SECRET_LENGTH) {
    throw new SecretError(
      'INVALID_SECRET',
      `a secret must be at most ${MAX_SECRET_LENGTH} characters`,
    );
  }
}
