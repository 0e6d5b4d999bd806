import type { Endpoint } from '@cloud-connect/agent-core/api';
import type { z } from 'zod';
import { AppError } from '../errors/appError.js';
import { jsonBody } from './body.js';
import type { AppContext } from './context.js';

function fieldName(path: readonly PropertyKey[], part: string): string {
  return path.length ? path.map(String).join('.') : part;
}

/** Parse one request part; a failure names every bad field and what is wrong with it. */
export function parsePart<T extends z.ZodType>(
  schema: T,
  value: unknown,
  part: string,
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        fields[fieldName([...issue.path, key], part)] = 'is not a known field';
      continue;
    }
    if (issue.code === 'invalid_type') {
      message = message.endsWith('received undefined')
        ? 'is required'
        : message.replace('Invalid input: ', '');
    }
    fields[fieldName(issue.path, part)] ??= message;
  }
  const first = Object.entries(fields)[0];
  const summary = first ? `${first[0]} ${first[1]}` : `the ${part} is invalid`;
  throw new AppError('VALIDATION_ERROR', `Invalid request: ${summary}`, { fields });
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
  throw new AppError('VALIDATION_ERROR', `Invalid request: ${keys[0]} is not a known field`, {
    fields: Object.fromEntries(keys.map((k) => [k, 'is not a known field'])),
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
