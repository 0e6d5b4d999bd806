/** Where a SecretStore keeps its secrets. */
export type SecretBackend = 'keychain' | 'encrypted-file' | 'memory';

/**
 * Secrets (session, instance tokens, Cloudflare tokens, WireGuard private keys) by account name,
 * all under one service. Every method rejects with a `SecretError` on failure.
 */
export interface SecretStore {
  readonly backend: SecretBackend;
  /** Human-readable place, for logs and the UI: the file path or the keychain service. */
  readonly location: string;
  /** The secret, or null when none is stored for the account. */
  get(account: string): Promise<string | null>;
  /** Stores or replaces the secret for the account. */
  set(account: string, secret: string): Promise<void>;
  /** Removes the account's secret; false when there was none. */
  delete(account: string): Promise<boolean>;
  /** Account names that have a secret, sorted; never the values. */
  listAccounts(): Promise<string[]>;
}
