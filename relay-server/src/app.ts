import { METHODS } from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
import { errorMiddleware } from './errors/errorMiddleware.js';
import { readBody, MAX_BODY_BYTES } from './http/body.js';
import type { AppState } from './http/context.js';
import { requestLog } from './http/requestLog.js';
import { authRoutes } from './routes/auth/routes.js';
import { billingRoutes } from './routes/billing/routes.js';
import { domainRoutes } from './routes/domains/routes.js';
import { instanceRoutes } from './routes/instances/routes.js';
import { metricsRoute } from './routes/ops/metricsRoute.js';
import { opsRoutes } from './routes/ops/routes.js';
import { pageRoutes } from './routes/pages/routes.js';
import { tunnelRoutes } from './routes/tunnel/routes.js';
import { userRoutes } from './routes/user/routes.js';
import type { Services } from './services.js';

export interface AppOptions {
  /** Check every response against the contract's schema (tests turn this on). */
  checkResponses?: boolean;
}

/** Stripe events can be larger than API requests. */
const WEBHOOK_BODY_BYTES = 1024 * 1024;

/** The Cloud API as a Koa app; every dependency comes in through `services`. */
export function createApp(services: Services, options: AppOptions = {}): Koa<AppState> {
  const app = new Koa<AppState>();
  app.proxy = services.config.trustProxy;
  const opts = { checkResponses: options.checkResponses ?? false };

  // Every method Node's parser accepts counts as implemented, so a known path answers an
  // unhandled one (TRACE, PROPFIND, MKCOL…) with 405 and its Allow list, never 501.
  const methods = [...METHODS];
  const v1 = new Router<AppState>({ prefix: '/v1', methods });
  authRoutes(v1, services, opts);
  userRoutes(v1, services, opts);
  billingRoutes(v1, services, opts);
  instanceRoutes(v1, services, opts);
  domainRoutes(v1, services, opts);
  tunnelRoutes(v1, services, opts);
  opsRoutes(v1, services, opts);

  const root = new Router<AppState>({ methods });
  pageRoutes(root, services);
  metricsRoute(root, services);

  const webhookPath = '/v1/billing/webhook';
  const normalBody = readBody(MAX_BODY_BYTES);
  const webhookBody = readBody(WEBHOOK_BODY_BYTES);

  app.use(requestLog(services.logger, services.metrics));
  app.use(errorMiddleware(services.logger));
  app.use(async (ctx, next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    if (ctx.path.startsWith('/v1/')) ctx.set('Cache-Control', 'no-store');
    await next();
  });
  app.use((ctx, next) =>
    ctx.path === webhookPath ? webhookBody(ctx, next) : normalBody(ctx, next),
  );
  app.use(v1.routes());
  app.use(v1.allowedMethods());
  app.use(root.routes());
  app.use(root.allowedMethods());
  return app;
}
