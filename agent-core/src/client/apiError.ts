import type { ErrorCode } from '../api/index.js';
import { CodedError } from '../errors/codedError.js';

/** Codes the client adds for failures that never reached an API answer. */
export type ClientErrorCode = 'NETWORK_ERROR' | 'TIMEOUT' | 'INVALID_RESPONSE' | 'NOT_SIGNED_IN';

/** Every code an ApiError carries: the API's own or one the client adds. */
export type ApiErrorCode = ErrorCode | ClientErrorCode;

/**
 * A Cloud API failure with the API's code, message and details (or a client-side code);
 * `fields` (from CodedError) reads a VALIDATION_ERROR's `details.fields`.
 */
export class ApiError extends CodedError<ApiErrorCode> {
  constructor(
    code: ApiErrorCode,
    message: string,
    readonly status: number,
    details?: Record<string, unknown>,
  ) {
    super(code, message, details);
  }

  override toJSON() {
    return { ...super.toJSON(), status: this.status };
  }
}
