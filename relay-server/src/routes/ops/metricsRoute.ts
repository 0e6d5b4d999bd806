import { createHash, timingSafeEqual } from 'node:crypto';
import type Router from '@koa/router';
import { AppError } from '../../errors/appError.js';
import { bearer } from '../../http/auth.js';
import type { AppState } from '../../http/context.js';
import type { Services } from '../../services.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether an `Authorization` header carries `token` as a bearer token (constant time). */
function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = bearer(header) ?? '';
  // Equal-length digests: the comparison time tells nothing about the token's length either.
  return timingSafeEqual(digest(presented), digest(token));
}

/**
 * `GET /metrics` in the Prometheus text format. With `METRICS_TOKEN` set it answers only a
 * scraper that sends that token (Prometheus' `authorization` / `bearer_token` setting): the
 * API port is often published through a reverse proxy, and the counts it shows are nobody
 * else's business.
 */
export function metricsRoute(router: Router<AppState>, deps: Pick<Services, 'config' | 'metrics'>) {
  router.get('/metrics', async (ctx) => {
    const token = deps.config.metricsToken;
    if (token !== null && !bearerMatches(ctx.get('authorization'), token)) {
      throw new AppError(
        'UNAUTHORIZED',
        'This relay asks for its metrics token: send Authorization: Bearer <METRICS_TOKEN>',
        undefined,
        { 'WWW-Authenticate': 'Bearer realm="metrics"' },
      );
    }
    ctx.type = deps.metrics.registry.contentType;
    ctx.body = await deps.metrics.registry.metrics();
  });
}
