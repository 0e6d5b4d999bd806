/** Secrets (session, instance and Cloudflare tokens, WireGuard keys): keychain or encrypted file. */
export type { SecretBackend, SecretStore } from './secretStore.js';
export { SecretError, NO_KEYCHAIN_HELP, type SecretErrorCode } from './secretError.js';
export {
  SECRET_SERVICE,
  secretAccounts,
  assertAccount,
  MAX_SECRET_LENGTH,
} from './secretAccounts.js';
export {
  createKeytarSecretStore,
  keychainError,
  type KeytarApi,
  type KeytarSecretStoreOptions,
} from './keytarSecretStore.js';
export {
  createEncryptedFileSecretStore,
  assertSecretKey,
  MIN_SECRET_KEY_LENGTH,
  type EncryptedFileSecretStoreOptions,
} from './encryptedFileSecretStore.js';
export {
  createSecretStore,
  SECRETS_FILE_NAME,
  type CreateSecretStoreOptions,
} from './createSecretStore.js';
export { createMemorySecretStore } from './memorySecretStore.js';
