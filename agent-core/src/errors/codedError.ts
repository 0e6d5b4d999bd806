/** Per-input messages, keyed by the input's name: `{ email: 'is already registered' }`. */
export type FieldMessages = Record<string, string>;

/**
 * An error as a value: a code from its area's union (the API's `ErrorCode`, `TunnelErrorCode`,
 * `SecretErrorCode`…), a message that says what went wrong and what to do, and details that
 * never hold a secret. Every agent-core error class (and the relay's AppError) extends it; the
 * Manager's `toFailure` passes on the code of those whose codes are all FailureCodes.
 */
export class CodedError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    // The subclass's own name (ApiError, TunnelError…), as stack traces and logs show it.
    this.name = new.target.name;
  }

  /** Field-level messages of a VALIDATION_ERROR, carried in `details.fields`; `{}` when none. */
  get fields(): FieldMessages {
    const fields = this.details?.fields;
    return fields && typeof fields === 'object' ? (fields as FieldMessages) : {};
  }

  toJSON(): { code: C; message: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}
