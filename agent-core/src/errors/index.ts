/**
 * The one coded-error base every agent-core error class extends (relay-server's AppError too),
 * and the one wording of a VALIDATION_ERROR built from a failed parse.
 */
export * from './codedError.js';
export * from './validationFailure.js';
