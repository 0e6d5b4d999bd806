import type { Failure, FailureCode, Result } from '../desktop/failure.js';
import { CodedError, type FieldMessages } from '../errors/codedError.js';

export { ManagerError, type ManagerErrorCode } from './managerError.js';

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export function fail(code: FailureCode, message: string, fields?: FieldMessages): Failure {
  return { ok: false, code, message, ...(fields && Object.keys(fields).length ? { fields } : {}) };
}

/**
 * Map anything a Manager operation threw to a Failure; the codes travel, stacks do not. Any
 * CodedError keeps its code, message and field messages; anything else is a bug: INTERNAL.
 */
export function toFailure(cause: unknown): Failure {
  if (cause instanceof CodedError) {
    // The error classes under the Manager (ApiError, TunnelError, SecretError, SettingsError,
    // ManagerError) each carry a member of FailureCode; the CLI's CliError never gets here.
    return fail(cause.code as FailureCode, cause.message, cause.fields);
  }
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
