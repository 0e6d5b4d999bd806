import type Router from '@koa/router';
import { disconnectTunnel, heartbeat } from '../../commands/tunnel/heartbeat.js';
import { registerTunnel } from '../../commands/tunnel/registerTunnel.js';
import { tunnelStatus } from '../../commands/tunnel/tunnelStatus.js';
import { AppError } from '../../errors/appError.js';
import { requireInstance } from '../../http/auth.js';
import { instanceOf, type AppMiddleware, type AppState } from '../../http/context.js';
import { mount } from '../../http/mount.js';
import { rateLimit } from '../../http/rateLimit.js';
import type { Services } from '../../services.js';

export function tunnelRoutes(
  router: Router<AppState>,
  deps: Services,
  opts: { checkResponses?: boolean },
) {
  const auth = requireInstance(deps.tokens, deps.store);
  const perInstance = rateLimit(deps.limits, 'tunnelPerInstance', (ctx) => instanceOf(ctx).id);
  /** Counts refused registrations (bad token, bad body) for /metrics. */
  const countFailures: AppMiddleware = async (_ctx, next) => {
    try {
      await next();
    } catch (e) {
      const code = e instanceof AppError ? e.code : 'INTERNAL';
      deps.metrics.failedRegistrations.inc({ kind: 'tunnel', reason: code.toLowerCase() });
      throw e;
    }
  };
  mount(
    router,
    'registerTunnel',
    [countFailures, auth, perInstance],
    (i, ctx) => registerTunnel(deps, instanceOf(ctx), i.body),
    opts,
  );
  mount(
    router,
    'heartbeat',
    [auth, perInstance],
    (_i, ctx) => heartbeat(deps, instanceOf(ctx)),
    opts,
  );
  mount(
    router,
    'disconnectTunnel',
    [auth, perInstance],
    (_i, ctx) => disconnectTunnel(deps, instanceOf(ctx)),
    opts,
  );
  mount(
    router,
    'tunnelStatus',
    [auth, perInstance],
    (_i, ctx) => tunnelStatus(deps, instanceOf(ctx)),
    opts,
  );
}
