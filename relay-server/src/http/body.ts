import type { IncomingMessage } from 'node:http';
import type { Middleware } from 'koa';
import getRawBody from 'raw-body';
import { AppError } from '../errors/appError.js';
import type { AppState } from './context.js';

export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Whether the request carries a body: a Transfer-Encoding, or a Content-Length above 0
 * (RFC 9112 §6.3). Content-Length 0 or none, without Transfer-Encoding, is no body.
 */
export function hasBody(req: IncomingMessage): boolean {
  return (
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0
  );
}

/** Reads the request body (up to MAX_BODY_BYTES) into `ctx.state.rawBody`; JSON parsing is validate's. */
export function readBody(limit = MAX_BODY_BYTES): Middleware<AppState> {
  return async (ctx, next) => {
    if (hasBody(ctx.req) && ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      try {
        ctx.state.rawBody = await getRawBody(ctx.req, {
          limit,
          length: ctx.request.headers['content-length'],
        });
      } catch (e) {
        const type = (e as { type?: string }).type;
        if (type === 'entity.too.large') {
          throw new AppError(
            'PAYLOAD_TOO_LARGE',
            `The request body is larger than ${limit / 1024} KiB`,
            {
              limit_bytes: limit,
            },
          );
        }
        throw AppError.validation('body', 'could not be read completely');
      }
    }
    await next();
  };
}

/** The JSON body, or `{}` when there is none; malformed JSON is a 422 naming the body. */
export function jsonBody(raw: Buffer | undefined): unknown {
  if (!raw || raw.length === 0) return {};
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (e) {
    // V8's message can quote the body ("…"password":hunter2"… is not valid JSON"), and a body
    // may hold a password: answer with the position only.
    const position = /at position (\d+)/.exec((e as Error).message)?.[1];
    throw new AppError('VALIDATION_ERROR', 'The request body is not valid JSON', {
      fields: { body: `is not valid JSON${position ? ` (at position ${position})` : ''}` },
    });
  }
}
