import type { TokenPair, TokenStore } from '../client/relayClient.js';
import { secretAccounts } from '../secrets/secretAccounts.js';
import type { SecretStore } from '../secrets/secretStore.js';

/** The signed-in user's tokens, kept in the SecretStore (the OS keychain by default). */
export function secretTokenStore(secrets: SecretStore): TokenStore {
  return {
    async load() {
      const raw = await secrets.get(secretAccounts.session);
      if (!raw) return null;
      try {
        const parsed = JSON.parse(raw) as Partial<TokenPair>;
        return typeof parsed.access_token === 'string' && typeof parsed.refresh_token === 'string'
          ? { access_token: parsed.access_token, refresh_token: parsed.refresh_token }
          : null;
      } catch {
        return null;
      }
    },
    async save(tokens) {
      if (tokens) await secrets.set(secretAccounts.session, JSON.stringify(tokens));
      else await secrets.delete(secretAccounts.session);
    },
  };
}
