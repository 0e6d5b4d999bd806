import type Router from '@koa/router';
import { addDomain } from '../../commands/domains/addDomain.js';
import { claimExpiresAt, dropLapsed } from '../../commands/domains/domainClaims.js';
import { ownedDomain } from '../../commands/domains/ownedDomain.js';
import { removeDomain } from '../../commands/domains/removeDomain.js';
import { verifyDomain } from '../../commands/domains/verifyDomain.js';
import { ownedInstance } from '../../commands/instances/ownedInstance.js';
import { requireUser } from '../../http/auth.js';
import { userOf, type AppState } from '../../http/context.js';
import { mount } from '../../http/mount.js';
import { toDomainListItem, toReleasedListItem } from '../../presenters/domain.js';
import type { Services } from '../../services.js';

export function domainRoutes(
  router: Router<AppState>,
  deps: Services,
  opts: { checkResponses?: boolean },
) {
  const auth = requireUser(deps.tokens, deps.store);
  mount(
    router,
    'addDomain',
    [auth],
    (i, ctx) => addDomain(deps, userOf(ctx), i.params.instance_id, i.body.domain),
    opts,
  );
  mount(
    router,
    'listDomains',
    [auth],
    async (i, ctx) => {
      const inst = await ownedInstance(deps.store, userOf(ctx), i.params.instance_id);
      const base = deps.config.baseDomain;
      const held = await dropLapsed(deps, await deps.store.domains.listByInstance(inst.id));
      const released = await deps.store.domains.listReleases(inst.id);
      return {
        domains: [
          ...held.map((d) => toDomainListItem(d, base, claimExpiresAt(deps, d))),
          ...released.map((r) => toReleasedListItem(r, base)),
        ],
      };
    },
    opts,
  );
  mount(
    router,
    'verifyDomain',
    [auth],
    async (i, ctx) => {
      const d = await ownedDomain(deps.store, userOf(ctx), i.params.instance_id, i.params.domain);
      return verifyDomain(deps, d);
    },
    opts,
  );
  mount(
    router,
    'deleteDomain',
    [auth],
    async (i, ctx) => {
      await removeDomain(deps, userOf(ctx), i.params.instance_id, i.params.domain);
      return undefined;
    },
    opts,
  );
}
