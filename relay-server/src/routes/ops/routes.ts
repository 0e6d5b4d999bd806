import type Router from '@koa/router';
import type { AppState } from '../../http/context.js';
import { mount } from '../../http/mount.js';
import { buildOpenApi } from '../../openapi/buildOpenApi.js';
import type { Services } from '../../services.js';
import { VERSION } from '../../version.js';

const started = Date.now();

async function check(fn: () => Promise<{ ok: boolean; detail: string }>) {
  try {
    return await fn();
  } catch (e) {
    return { ok: false, detail: (e as Error).message };
  }
}

/** `/v1/health` and `/v1/openapi.json` (under /v1); `/metrics` is mounted at the root. */
export function opsRoutes(
  router: Router<AppState>,
  deps: Services,
  opts: { checkResponses?: boolean },
) {
  mount(
    router,
    'health',
    [],
    async (_i, ctx) => {
      const [store, wireguard, edge] = await Promise.all([
        check(async () => {
          await deps.store.ping();
          return { ok: true, detail: 'lowdb store open' };
        }),
        check(() => deps.wireguard.health()),
        check(() => deps.edgeHealth()),
      ]);
      const ok = store.ok && wireguard.ok && edge.ok;
      ctx.set('Cache-Control', 'no-store');
      const body = {
        status: ok ? ('ok' as const) : ('degraded' as const),
        checks: { store, wireguard, edge },
        version: VERSION,
        uptime_seconds: Math.round((Date.now() - started) / 1000),
      };
      if (!ok) {
        // The body still tells which part is down; the status lets load balancers act on it.
        ctx.status = 503;
      }
      return body;
    },
    opts,
  );

  let doc: Record<string, unknown> | null = null;
  router.get('openapi', '/openapi.json', (ctx) => {
    doc ??= buildOpenApi(VERSION, deps.config.publicUrl);
    ctx.body = doc;
  });
}
