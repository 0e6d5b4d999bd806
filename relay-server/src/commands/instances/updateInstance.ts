import type { RequestOf } from '@cloud-connect/agent-core/api';
import { fullDomain } from '../../presenters/instance.js';
import type { Services } from '../../services.js';
import { StoreConflictError, type UserRecord } from '../../store/types.js';
import { ownedInstance } from './ownedInstance.js';
import { isReserved } from './suggestSubdomains.js';
import { subdomainTaken } from './subdomainTaken.js';

/** Rename an instance or move it to another free subdomain (routing follows at once). */
export async function updateInstance(
  deps: Services,
  user: UserRecord,
  instanceId: string,
  patch: RequestOf<'updateInstance'>['body'],
) {
  const current = await ownedInstance(deps.store, user, instanceId);
  const moving = patch.subdomain !== undefined && patch.subdomain !== current.subdomain;
  if (moving && patch.subdomain && isReserved(patch.subdomain))
    throw await subdomainTaken(deps, patch.subdomain);
  try {
    const updated = await deps.store.instances.update(instanceId, {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.subdomain !== undefined ? { subdomain: patch.subdomain } : {}),
    });
    if (!updated) throw new Error('instance vanished during update');
    if (moving) deps.events.emit('instance-changed', { instanceId });
    return {
      id: updated.id,
      name: updated.name,
      subdomain: updated.subdomain,
      full_domain: fullDomain(updated, deps.config.baseDomain),
    };
  } catch (e) {
    if (e instanceof StoreConflictError && e.field === 'subdomain' && patch.subdomain) {
      throw await subdomainTaken(deps, patch.subdomain);
    }
    throw e;
  }
}
