import type Router from '@koa/router';
import { checkSubdomain } from '../../commands/instances/checkSubdomain.js';
import { createInstance } from '../../commands/instances/createInstance.js';
import { deleteInstance } from '../../commands/instances/deleteInstance.js';
import { ownedInstance } from '../../commands/instances/ownedInstance.js';
import { regenerateInstanceToken } from '../../commands/instances/regenerateInstanceToken.js';
import { updateInstance } from '../../commands/instances/updateInstance.js';
import { requireUser } from '../../http/auth.js';
import { userOf, type AppState } from '../../http/context.js';
import { mount } from '../../http/mount.js';
import { rateLimit } from '../../http/rateLimit.js';
import { toInstanceDetail, type InstanceHealth } from '../../presenters/instance.js';
import type { Services } from '../../services.js';

export function instanceRoutes(
  router: Router<AppState>,
  deps: Services,
  opts: { checkResponses?: boolean },
) {
  const auth = requireUser(deps.tokens, deps.store);
  mount(
    router,
    'listInstances',
    [auth],
    async (_i, ctx) => {
      const instances = await deps.store.instances.listByUser(userOf(ctx).id);
      // One read of the interface for the whole list.
      const health = await deps.liveness.healthOf(instances);
      const rows = await Promise.all(
        instances.map(async (inst, n) => {
          const { full_domain: _omit, ...row } = toInstanceDetail(
            deps,
            inst,
            await deps.store.domains.listByInstance(inst.id),
            health[n] as InstanceHealth,
          );
          return row;
        }),
      );
      return { instances: rows };
    },
    opts,
  );
  mount(
    router,
    'createInstance',
    [auth],
    (i, ctx) => createInstance(deps, userOf(ctx), i.body),
    opts,
  );
  mount(
    router,
    'getInstance',
    [auth],
    async (i, ctx) => {
      const inst = await ownedInstance(deps.store, userOf(ctx), i.params.instance_id);
      return toInstanceDetail(
        deps,
        inst,
        await deps.store.domains.listByInstance(inst.id),
        await deps.liveness.health(inst),
      );
    },
    opts,
  );
  mount(
    router,
    'updateInstance',
    [auth],
    (i, ctx) => updateInstance(deps, userOf(ctx), i.params.instance_id, i.body),
    opts,
  );
  mount(
    router,
    'deleteInstance',
    [auth],
    async (i, ctx) => {
      await deleteInstance(deps, userOf(ctx), i.params.instance_id);
      return undefined;
    },
    opts,
  );
  mount(
    router,
    'regenerateToken',
    [auth],
    (i, ctx) => regenerateInstanceToken(deps, userOf(ctx), i.params.instance_id),
    opts,
  );

  const perUser = rateLimit(deps.limits, 'subdomainCheckPerUser', (ctx) => userOf(ctx).id);
  mount(
    router,
    'checkSubdomain',
    [auth, perUser],
    (i) => checkSubdomain(deps, i.query.subdomain),
    opts,
  );
}
