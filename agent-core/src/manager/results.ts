import { ApiError } from '../client/apiError.js';
import type { Result } from '../desktop/desktopApi.js';
import { SecretError } from '../secrets/secretError.js';
import { SettingsError } from '../settings/settingsError.js';
import { TunnelError } from '../tunnels/tunnelError.js';

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export function fail(
  code: string,
  message: string,
  fields?: Record<string, string>,
): Result<never> {
  return { ok: false, code, message, ...(fields && Object.keys(fields).length ? { fields } : {}) };
}

/** A Manager-level failure (no API, tunnel or store error behind it). */
export class ManagerError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly fields?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ManagerError';
  }
}

/** Map anything a Manager operation threw to a Result; the codes travel, stacks do not. */
export function toFailure(cause: unknown): Result<never> & { ok: false } {
  if (cause instanceof ApiError)
    return {
      ok: false,
      code: cause.code,
      message: cause.message,
      ...(Object.keys(cause.fields).length ? { fields: cause.fields } : {}),
    };
  if (cause instanceof ManagerError)
    return {
      ok: false,
      code: cause.code,
      message: cause.message,
      ...(cause.fields ? { fields: cause.fields } : {}),
    };
  if (
    cause instanceof TunnelError ||
    cause instanceof SecretError ||
    cause instanceof SettingsError
  ) {
    return { ok: false, code: cause.code, message: cause.message };
  }
  return {
    ok: false,
    code: 'INTERNAL',
    message: 'Something went wrong in Cloud Connect. Try again; the log has details.',
  };
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
