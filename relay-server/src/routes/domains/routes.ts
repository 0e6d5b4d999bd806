import type Router from '@koa/router';
import { addDomain } from '../../commands/domains/addDomain.js';
import { claimExpiresAt, dropLapsed } from '../../commands/domains/domainClaims.js';
import { ownedDomain } from '../../commands/domains/ownedDomain.js';
import { removeDomain } from '../../commands/domains/removeDomain.js';
import { verifyDomain } from '../../commands/domains/verifyDomain.js';
import { ownedInstance } from '../../commands/instances/ownedInstance.js';
import type { AppState } from '../../http/context.js';
import { signedInMount, type MountOptions } from '../../http/mount.js';
import { toDomainListItem, toReleasedListItem } from '../../presenters/domain.js';
import type { Services } from '../../services.js';

export function domainRoutes(router: Router<AppState>, deps: Services, opts: MountOptions) {
  const signedIn = signedInMount(router, deps, opts);
  signedIn('addDomain', (i, user) => addDomain(deps, user, i.params.instance_id, i.body.domain));
  signedIn('listDomains', async (i, user) => {
    const inst = await ownedInstance(deps.store, user, i.params.instance_id);
    const base = deps.config.baseDomain;
    const held = await dropLapsed(deps, await deps.store.domains.listByInstance(inst.id));
    const released = await deps.store.domains.listReleases(inst.id);
    return {
      domains: [
        ...held.map((d) => toDomainListItem(d, base, claimExpiresAt(deps, d))),
        ...released.map((r) => toReleasedListItem(r, base)),
      ],
    };
  });
  signedIn('verifyDomain', async (i, user) => {
    const d = await ownedDomain(deps.store, user, i.params.instance_id, i.params.domain);
    return verifyDomain(deps, d);
  });
  signedIn('deleteDomain', async (i, user) => {
    await removeDomain(deps, user, i.params.instance_id, i.params.domain);
    return undefined;
  });
}
