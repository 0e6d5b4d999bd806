import { CodedError } from '../errors/codedError.js';

/** Why a secret could not be read or written; each code's message says what to do. */
export type SecretErrorCode =
  /** No Secret Service on D-Bus (or keytar/libsecret cannot load): use the encrypted file instead. */
  | 'NO_KEYCHAIN'
  /** The keychain is locked, or did not answer (it may be waiting for an unlock prompt). */
  | 'KEYCHAIN_LOCKED'
  /** The keychain answered with an error we do not know. */
  | 'KEYCHAIN_FAILED'
  /** The encrypted-file store was chosen but `CLOUD_CONNECT_SECRET_KEY` is not set. */
  | 'SECRET_KEY_MISSING'
  /** `CLOUD_CONNECT_SECRET_KEY` is too short to be a key. */
  | 'SECRET_KEY_TOO_SHORT'
  /** The secrets file was written with another `CLOUD_CONNECT_SECRET_KEY`. */
  | 'SECRET_KEY_WRONG'
  /** The key is right but the ciphertext fails authentication: the file was altered. */
  | 'SECRET_FILE_TAMPERED'
  /** The secrets file is not a secrets file (not JSON, missing fields, unknown version). */
  | 'SECRET_FILE_CORRUPT'
  /** The secrets file or its folder cannot be read or written (permissions, disk). */
  | 'SECRET_FILE_UNAVAILABLE'
  /** The account name is not one of the store's account names. */
  | 'INVALID_ACCOUNT'
  /** The secret is empty or too large. */
  | 'INVALID_SECRET';

/** A secret-store failure as a value. Never carries a secret: only codes, paths and causes' messages. */
export class SecretError extends CodedError<SecretErrorCode> {}

/** What to tell a user whose machine has no keychain. */
export const NO_KEYCHAIN_HELP =
  'no keychain available: no Secret Service (e.g. gnome-keyring) is reachable on D-Bus. ' +
  'Start one in this session, or set CLOUD_CONNECT_SECRET_KEY (at least 32 characters, e.g. ' +
  'the output of `openssl rand -base64 32`) to keep secrets in an encrypted file instead.';
