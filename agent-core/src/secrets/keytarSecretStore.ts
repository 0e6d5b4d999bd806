import { assertAccount, assertSecret, SECRET_SERVICE } from './secretAccounts.js';
import { NO_KEYCHAIN_HELP, SecretError } from './secretError.js';
import type { SecretStore } from './secretStore.js';

/** The part of keytar's API the store uses (keytar 7.9, libsecret on Linux). */
export interface KeytarApi {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>;
}

export interface KeytarSecretStoreOptions {
  /** Keychain service name; `cloud-connect` unless a test isolates itself. */
  service?: string;
  /** How keytar is loaded; the default imports it lazily on first use. */
  loadKeytar?: () => Promise<KeytarApi>;
  /** A keychain waiting on an unlock prompt never answers: give up after this long. */
  timeoutMs?: number;
}

/** Imported on first use so hosts without libsecret can still load agent-core and use the file store. */
async function importKeytar(): Promise<KeytarApi> {
  const mod = (await import('keytar')) as KeytarApi & { default?: KeytarApi };
  return mod.default ?? mod;
}

// libsecret / GDBus messages that mean "there is no Secret Service to talk to".
const NO_SERVICE =
  /autolaunch D-Bus|Could not connect|DBUS_SESSION_BUS_ADDRESS|dbus-launch|org\.freedesktop\.secrets|ServiceUnknown|not provided by any \.service files|No such file or directory|Connection refused|Failed to connect/i;
const LOCKED = /locked|prompt|dismissed|cancel/i;

/** Turns whatever keytar threw into a SecretError whose message says what to do. */
export function keychainError(cause: unknown): SecretError {
  if (cause instanceof SecretError) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  if (NO_SERVICE.test(reason))
    return new SecretError('NO_KEYCHAIN', NO_KEYCHAIN_HELP, { cause: reason });
  if (LOCKED.test(reason)) {
    return new SecretError(
      'KEYCHAIN_LOCKED',
      'the keychain is locked: unlock it (e.g. sign in to the desktop session) and try again',
      { cause: reason },
    );
  }
  return new SecretError('KEYCHAIN_FAILED', `the keychain failed: ${reason}`, { cause: reason });
}

/**
 * The default SecretStore: the OS keychain through keytar (the Secret Service via libsecret on
 * Linux, Keychain on macOS, Credential Vault on Windows). Note: on Linux a read from a *locked*
 * collection answers null (libsecret hides locked items), while a write fails KEYCHAIN_LOCKED.
 */
export function createKeytarSecretStore(options: KeytarSecretStoreOptions = {}): SecretStore {
  const service = options.service ?? SECRET_SERVICE;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const load = options.loadKeytar ?? importKeytar;
  let keytar: Promise<KeytarApi> | null = null;

  const keychain = (): Promise<KeytarApi> => {
    keytar ??= load().catch((cause: unknown) => {
      // Let a later call retry (e.g. after the user installs libsecret) instead of caching the failure.
      keytar = null;
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new SecretError(
        'NO_KEYCHAIN',
        `${NO_KEYCHAIN_HELP} (keytar could not be loaded: ${reason})`,
        {
          cause: reason,
        },
      );
    });
    return keytar;
  };

  async function call<T>(run: (api: KeytarApi) => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new SecretError(
              'KEYCHAIN_LOCKED',
              `the keychain did not answer within ${timeoutMs} ms: it may be locked and waiting for an unlock prompt`,
            ),
          ),
        timeoutMs,
      );
      timer.unref();
    });
    try {
      return await Promise.race([keychain().then(run), timeout]);
    } catch (cause) {
      throw keychainError(cause);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    backend: 'keychain',
    location: `keychain (service "${service}")`,
    async get(account) {
      assertAccount(account);
      return call((api) => api.getPassword(service, account));
    },
    async set(account, secret) {
      assertAccount(account);
      assertSecret(secret);
      await call((api) => api.setPassword(service, account, secret));
    },
    async delete(account) {
      assertAccount(account);
      return call((api) => api.deletePassword(service, account));
    },
    async listAccounts() {
      const found = await call((api) => api.findCredentials(service));
      return found.map((c) => c.account).sort();
    },
  };
}
