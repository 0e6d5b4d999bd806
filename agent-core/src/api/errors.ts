import { z } from 'zod';

/**
 * Every error code the Cloud API answers with, and the HTTP status that goes with it.
 * The first nine are seed 003's table; the rest are the decisions SPEC.md adds.
 */
export const ERROR_STATUS = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  SUBDOMAIN_TAKEN: 409,
  DOMAIN_ALREADY_EXISTS: 409,
  SUBSCRIPTION_REQUIRED: 402,
  LIMIT_EXCEEDED: 403,
  VALIDATION_ERROR: 422,
  DNS_VERIFICATION_FAILED: 400,
  RATE_LIMITED: 429,
  EMAIL_NOT_VERIFIED: 403,
  BILLING_NOT_CONFIGURED: 503,
  INTERNAL: 500,
  TUNNEL_NOT_REGISTERED: 409,
  WEBHOOK_SIGNATURE_INVALID: 400,
  PAYLOAD_TOO_LARGE: 413,
  METHOD_NOT_ALLOWED: 405,
  SERVICE_UNAVAILABLE: 503,
  /** A request body that is not `application/json` (UTF-8) sent to a JSON endpoint. */
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** A request that is not valid HTTP (the server's parser refused it). */
  BAD_REQUEST: 400,
  REQUEST_HEADERS_TOO_LARGE: 431,
  /** The request's headers did not arrive in time. */
  REQUEST_TIMEOUT: 408,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];
export const ErrorCodeSchema = z.enum(ERROR_CODES);

/** `{"error":{"code","message","details"?}}` — the only error shape the API ever sends. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: ErrorCodeSchema,
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof ErrorBody>;
