import type { ErrorCode } from '../api/index.js';
import type { FailureCode } from '../desktop/failure.js';
import { CodedError, type FieldMessages } from '../errors/codedError.js';

/**
 * The Manager's own failure codes: TOKEN_MISSING (a connection's token is not in the keychain)
 * and the API codes it answers with itself, before asking the relay.
 */
export type ManagerErrorCode =
  'TOKEN_MISSING' | Extract<ErrorCode, 'NOT_FOUND' | 'SERVICE_UNAVAILABLE' | 'VALIDATION_ERROR'>;

/**
 * A Manager-level failure (no API, tunnel or store error behind it). `createManager` also uses it
 * to pass on a failed Result with its code, hence the wider `C` it may take.
 */
export class ManagerError<C extends FailureCode = ManagerErrorCode> extends CodedError<C> {
  constructor(code: C, message: string, fields?: FieldMessages) {
    super(code, message, fields && Object.keys(fields).length ? { fields } : undefined);
  }
}
