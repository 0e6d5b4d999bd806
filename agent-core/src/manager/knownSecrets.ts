import type { SecretStore } from '../secrets/secretStore.js';

/**
 * The SecretStore plus which accounts hold a secret, so a connection's view can say `hasToken`
 * without reading the keychain: listed once at start, then kept up to date by this Manager's
 * own writes. Values are read only when a tunnel needs them.
 */
export class KnownSecrets {
  private constructor(
    private readonly store: SecretStore,
    private readonly accounts: Set<string>,
  ) {}

  /** List which secrets exist (never their values); a keychain that cannot be read is reported. */
  static async load(store: SecretStore, onError: (e: Error) => void): Promise<KnownSecrets> {
    const accounts = new Set<string>();
    try {
      for (const account of await store.listAccounts()) accounts.add(account);
    } catch (e) {
      onError(e as Error);
    }
    return new KnownSecrets(store, accounts);
  }

  has(account: string): boolean {
    return this.accounts.has(account);
  }

  get(account: string): Promise<string | null> {
    return this.store.get(account);
  }

  async set(account: string, secret: string): Promise<void> {
    await this.store.set(account, secret);
    this.accounts.add(account);
  }

  async delete(account: string): Promise<void> {
    await this.store.delete(account);
    this.accounts.delete(account);
  }
}
