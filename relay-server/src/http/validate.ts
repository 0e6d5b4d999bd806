import type { Endpoint } from '@cloud-connect/agent-core/api';
import { UNKNOWN_FIELD, validationFailure } from '@cloud-connect/agent-core/errors';
import type { z } from 'zod';
import { AppError } from '../errors/appError.js';
import { jsonBody } from './body.js';
import type { AppContext } from './context.js';

/** Parse one request part; a failure names every bad field and what is wrong with it. */
export function parsePart<T extends z.ZodType>(
  schema: T,
  value: unknown,
  part: string,
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fieldOf = (path: readonly PropertyKey[]) =>
    path.length ? path.map(String).join('.') : part;
  const { message, fields } = validationFailure(result.error, fieldOf, `the ${part} is invalid`);
  throw new AppError('VALIDATION_ERROR', message, { fields });
}

/**
 * An endpoint without a body schema takes no body: one sent anyway must be empty or `{}`, so a
 * malformed or unexpected body is refused rather than ignored while the action goes ahead.
 * The webhook is the exception: its body is Stripe's, checked by signature instead.
 */
function refuseBody(endpoint: Endpoint, raw: Buffer | undefined): undefined {
  if (endpoint.auth === 'stripe' || !raw?.length) return undefined;
  const value = jsonBody(raw);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw AppError.validation('body', 'must be empty: this endpoint takes no body');
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return undefined;
  throw new AppError('VALIDATION_ERROR', `Invalid request: ${keys[0]} ${UNKNOWN_FIELD}`, {
    fields: Object.fromEntries(keys.map((k) => [k, UNKNOWN_FIELD])),
  });
}

/** The parsed `params`, `query` and `body` of a request, checked against the endpoint's schemas. */
export function parseRequest(endpoint: Endpoint, ctx: AppContext) {
  return {
    params: endpoint.params ? parsePart(endpoint.params, ctx.params, 'params') : undefined,
    query: endpoint.query ? parsePart(endpoint.query, { ...ctx.query }, 'query') : undefined,
    body: endpoint.body
      ? parsePart(endpoint.body, jsonBody(ctx.state.rawBody), 'body')
      : refuseBody(endpoint, ctx.state.rawBody),
  };
}
