import { CodedError } from '../errors/codedError.js';

/** Why the settings could not be loaded or changed. */
export type SettingsErrorCode =
  /** A change (or the file) does not match the settings schema; `details.issues` says where. */
  | 'SETTINGS_INVALID'
  /** A change tried to put something that looks like a token, key or password into settings. */
  | 'SETTINGS_SECRET_REJECTED'
  /** The file on disk was unreadable as settings: it was kept aside and defaults loaded. */
  | 'SETTINGS_CORRUPT'
  /** The file was written by a newer Cloud Connect; it is left alone. */
  | 'SETTINGS_NEWER_VERSION'
  /** The file or its folder cannot be read or written (permissions, disk). */
  | 'SETTINGS_UNAVAILABLE'
  /** No connection has that id. */
  | 'CONNECTION_NOT_FOUND';

/** A settings failure as a value. Its message and details never quote a rejected secret. */
export class SettingsError extends CodedError<SettingsErrorCode> {}
