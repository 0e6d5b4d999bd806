import type Router from '@koa/router';
import { checkSubdomain } from '../../commands/instances/checkSubdomain.js';
import { createInstance } from '../../commands/instances/createInstance.js';
import { deleteInstance } from '../../commands/instances/deleteInstance.js';
import { ownedInstance } from '../../commands/instances/ownedInstance.js';
import { regenerateInstanceToken } from '../../commands/instances/regenerateInstanceToken.js';
import { updateInstance } from '../../commands/instances/updateInstance.js';
import { userOf, type AppState } from '../../http/context.js';
import { signedInMount, type MountOptions } from '../../http/mount.js';
import { rateLimit } from '../../http/rateLimit.js';
import { toInstanceDetail, type InstanceHealth } from '../../presenters/instance.js';
import type { Services } from '../../services.js';

export function instanceRoutes(router: Router<AppState>, deps: Services, opts: MountOptions) {
  const signedIn = signedInMount(router, deps, opts);
  signedIn('listInstances', async (_i, user) => {
    const instances = await deps.store.instances.listByUser(user.id);
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
  });
  signedIn('createInstance', (i, user) => createInstance(deps, user, i.body));
  signedIn('getInstance', async (i, user) => {
    const inst = await ownedInstance(deps.store, user, i.params.instance_id);
    return toInstanceDetail(
      deps,
      inst,
      await deps.store.domains.listByInstance(inst.id),
      await deps.liveness.health(inst),
    );
  });
  signedIn('updateInstance', (i, user) => updateInstance(deps, user, i.params.instance_id, i.body));
  signedIn('deleteInstance', async (i, user) => {
    await deleteInstance(deps, user, i.params.instance_id);
    return undefined;
  });
  signedIn('regenerateToken', (i, user) =>
    regenerateInstanceToken(deps, user, i.params.instance_id),
  );

  const perUser = rateLimit(deps.limits, 'subdomainCheckPerUser', (ctx) => userOf(ctx).id);
  signedIn('checkSubdomain', (i) => checkSubdomain(deps, i.query.subdomain), [perUser]);
}
