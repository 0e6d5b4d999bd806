import { assertAccount, assertSecret } from './secretAccounts.js';
import type { SecretStore } from './secretStore.js';

/**
 * Secrets held in this process only, for a headless agent that gets its token from the
 * environment and has no keychain: nothing is written anywhere, and a WireGuard key made here
 * lives for one run (registering again simply replaces the peer's key).
 */
export function createMemorySecretStore(): SecretStore {
  const secrets = new Map<string, string>();
  return {
    backend: 'memory',
    location: 'memory (this process only)',
    async get(account) {
      assertAccount(account);
      return secrets.get(account) ?? null;
    },
    async set(account, secret) {
      assertAccount(account);
      assertSecret(secret);
      secrets.set(account, secret);
    },
    async delete(account) {
      assertAccount(account);
      return secrets.delete(account);
    },
    async listAccounts() {
      return [...secrets.keys()].sort();
    },
  };
}
