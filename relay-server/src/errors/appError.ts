import { ERROR_STATUS, type ErrorCode } from '@cloud-connect/agent-core/api';
import { CodedError } from '@cloud-connect/agent-core/errors';

/**
 * An error the API answers with: a code from the contract, a message a user can act on, and
 * the HTTP status the contract gives the code. Its `toJSON()` (from CodedError, the agent's
 * error base too) is the `error` object of every error body.
 */
export class AppError extends CodedError<ErrorCode> {
  readonly status: number;

  constructor(
    code: ErrorCode,
    message: string,
    details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(code, message, details);
    this.status = ERROR_STATUS[code];
  }

  /** A validation failure for one field, in the shape every 422 uses. */
  static validation(field: string, message: string): AppError {
    return new AppError('VALIDATION_ERROR', `${field} ${message}`, {
      fields: { [field]: message },
    });
  }

  static notFound(what: string): AppError {
    return new AppError('NOT_FOUND', `${what} not found`);
  }

  static unauthorized(
    message = 'Sign in again: the token is missing, invalid or expired',
  ): AppError {
    return new AppError('UNAUTHORIZED', message);
  }
}

/** Map anything thrown to an AppError; unknown causes become INTERNAL with no detail leaked. */
export function toAppError(cause: unknown): AppError {
  if (cause instanceof AppError) return cause;
  return new AppError('INTERNAL', 'Something went wrong on our side. Try again in a moment.');
}
