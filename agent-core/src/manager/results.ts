import { ApiError } from '../client/apiError.js';
import type { Failure, FailureCode, Result } from '../desktop/failure.js';
import type { CodedError, FieldMessages } from '../errors/codedError.js';
import { SecretError } from '../secrets/secretError.js';
import { SettingsError } from '../settings/settingsError.js';
import { TunnelError } from '../tunnels/tunnelError.js';
import { ManagerError, type ManagerErrorCode } from './managerError.js';

export { ManagerError, type ManagerErrorCode };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export function fail(code: FailureCode, message: string, fields?: FieldMessages): Failure {
  return { ok: false, code, message, ...(fields && Object.keys(fields).length ? { fields } : {}) };
}

/** An error class every code of which the renderer has words for: a member of FailureCode. */
export type FailureErrorClass = abstract new (...args: never[]) => CodedError<FailureCode>;

/**
 * The error classes whose codes travel to the renderer as they are; the compiler refuses one
 * whose code union is not within FailureCode (WireGuardError's KEY_INVALID, the CLI's CliError),
 * so such an error reaching here stays a bug: INTERNAL, and logged as unexpected.
 */
export const FAILURE_ERRORS: readonly FailureErrorClass[] = [
  ApiError,
  TunnelError,
  SecretError,
  SettingsError,
  ManagerError,
];

function isFailureError(cause: unknown): cause is CodedError<FailureCode> {
  return FAILURE_ERRORS.some((errorClass) => cause instanceof errorClass);
}

/**
 * Map anything a Manager operation threw to a Failure; the codes travel, stacks do not. An error
 * of FAILURE_ERRORS keeps its code, message and field messages; anything else is a bug: INTERNAL.
 */
export function toFailure(cause: unknown): Failure {
  if (isFailureError(cause)) return fail(cause.code, cause.message, cause.fields);
  return fail('INTERNAL', 'Something went wrong in Cloud Connect. Try again; the log has details.');
}

/** Run `fn` and answer its value as a Result; expected failures become values, never throws. */
export async function attempt<T>(
  fn: () => Promise<T>,
  onUnexpected?: (cause: unknown) => void,
): Promise<Result<T>> {
  try {
    return ok(await fn());
  } catch (cause) {
    const failure = toFailure(cause);
    if (failure.code === 'INTERNAL') onUnexpected?.(cause);
    return failure;
  }
}
