import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { AppState } from './context.js';

/**
 * Gives each request an id and client address, and after it: one log line and one latency
 * observation labelled by the matched route (never the raw path, which holds ids).
 */
export function requestLog(logger: Logger, metrics: Metrics): Middleware<AppState> {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    // 16 hex digits (60 random bits: one digit is the UUID version). randomUUID draws from a
    // cached entropy pool; randomBytes(8) asked OpenSSL on every request, a measurable share
    // of a heartbeat's CPU time.
    ctx.state.requestId = randomUUID().replace(/-/g, '').slice(0, 16);
    ctx.state.clientIp = ctx.ip;
    ctx.set('X-Request-Id', ctx.state.requestId);
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      metrics.httpDuration.observe(
        { method: ctx.method, route, status: String(ctx.status) },
        seconds,
      );
      const line = {
        req_id: ctx.state.requestId,
        method: ctx.method,
        route,
        status: ctx.status,
        ms: Math.round(seconds * 1e5) / 100,
        ip: ctx.state.clientIp,
      };
      if (ctx.status >= 500) logger.error(line, 'request failed');
      else logger.debug(line, 'request');
    }
  };
}
