import type { Middleware } from 'koa';
import type { Logger } from '../logging/logger.js';
import { AppError, toAppError } from './appError.js';

/** One place maps every error to `{"error":{code,message,details}}`; stacks go to the log only. */
export function errorMiddleware(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new AppError('NOT_FOUND', `No such endpoint: ${ctx.method} ${ctx.path}`);
      }
      if (ctx.status === 405 && !ctx.body) {
        throw new AppError(
          'METHOD_NOT_ALLOWED',
          `${ctx.method} is not allowed here; use ${ctx.response.get('Allow')}`,
          {
            allow: String(ctx.response.get('Allow')).split(/,\s*/),
          },
        );
      }
    } catch (cause) {
      const err = toAppError(cause);
      if (err.code === 'INTERNAL') {
        logger.error({ err: cause, method: ctx.method, path: ctx.path }, 'unhandled error');
      }
      ctx.status = err.status;
      if (err.status === 405) ctx.set('Allow', String(ctx.response.get('Allow')));
      for (const [k, v] of Object.entries(err.headers ?? {})) ctx.set(k, v);
      ctx.body = { error: err.toJSON() };
    }
  };
}
