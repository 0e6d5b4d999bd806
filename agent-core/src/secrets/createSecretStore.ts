import { join } from 'node:path';
import { createEncryptedFileSecretStore } from './encryptedFileSecretStore.js';
import { createKeytarSecretStore, type KeytarApi } from './keytarSecretStore.js';
import { SECRET_SERVICE } from './secretAccounts.js';
import type { SecretBackend, SecretStore } from './secretStore.js';

/** File name of the encrypted-file store inside the app's data dir. */
export const SECRETS_FILE_NAME = 'secrets.enc.json';

export interface CreateSecretStoreOptions {
  /** The app's data dir; the encrypted-file store keeps `secrets.enc.json` there. */
  dataDir: string;
  /** Environment to read `CLOUD_CONNECT_SECRET_KEY` from; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Force a backend; otherwise the file when `CLOUD_CONNECT_SECRET_KEY` is set, else the keychain. */
  backend?: SecretBackend;
  /** Keychain service name (tests isolate themselves with their own). */
  service?: string;
  /** Overrides how keytar is loaded (tests, or a host that bundles it differently). */
  loadKeytar?: () => Promise<KeytarApi>;
}

/**
 * Picks the SecretStore for this host: an explicit `backend`, else the encrypted file when
 * `CLOUD_CONNECT_SECRET_KEY` is set (headless hosts), else the OS keychain. Throws a SecretError
 * (SECRET_KEY_MISSING, SECRET_KEY_TOO_SHORT) when the file store cannot be keyed.
 */
export function createSecretStore(options: CreateSecretStoreOptions): SecretStore {
  const env = options.env ?? process.env;
  const key = env.CLOUD_CONNECT_SECRET_KEY;
  const backend: SecretBackend =
    options.backend ?? (key !== undefined && key !== '' ? 'encrypted-file' : 'keychain');
  if (backend === 'encrypted-file') {
    return createEncryptedFileSecretStore({
      path: join(options.dataDir, SECRETS_FILE_NAME),
      key: key ?? '',
    });
  }
  return createKeytarSecretStore({
    service: options.service ?? SECRET_SERVICE,
    ...(options.loadKeytar ? { loadKeytar: options.loadKeytar } : {}),
  });
}
