import { AppError } from '../errors/appError.js';
import { hasBody } from './body.js';
import type { AppMiddleware } from './context.js';

/**
 * A body sent to a JSON endpoint must be `application/json` (UTF-8, RFC 8259 §8.1), or the
 * request is refused with 415 before any guard or handler runs. `text/plain`,
 * `application/x-www-form-urlencoded` and `multipart/form-data` are the types a cross-site page
 * may post without a CORS preflight; refusing every other type closes that door. Structured
 * suffixes (`application/merge-patch+json`…) are refused too: they promise semantics this API
 * does not implement. A request without a body is not concerned, whatever its Content-Type.
 */
export const requireJsonBody: AppMiddleware = async (ctx, next) => {
  if (hasBody(ctx.req)) {
    const sent = ctx.get('Content-Type');
    // type-is parses and lower-cases the media type; anything unparseable is no match.
    if (ctx.request.is('application/json') !== 'application/json') {
      throw new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        sent
          ? `Request bodies on this API are JSON: send Content-Type: application/json, not ${sent.slice(0, 100)}`
          : 'Request bodies on this API are JSON: send Content-Type: application/json with the body',
        { accepted: ['application/json'] },
      );
    }
    const charset = ctx.request.charset.toLowerCase();
    if (charset !== '' && charset !== 'utf-8' && charset !== 'utf8') {
      throw new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        `JSON bodies are UTF-8: send Content-Type: application/json (or charset=utf-8), not charset=${charset.slice(0, 40)}`,
        { accepted: ['application/json'] },
      );
    }
  }
  await next();
};
