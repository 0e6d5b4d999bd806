import { AppError } from '../../errors/appError.js';
import type { Services } from '../../services.js';
import type { UserRecord } from '../../store/types.js';
import { ownedInstance } from '../instances/ownedInstance.js';

/**
 * Remove a domain from the instance: its claim (it stops routing at once), or else the entry
 * that tells the owner it was released (dismissing it). Not found when it has neither.
 */
export async function removeDomain(
  deps: Services,
  user: UserRecord,
  instanceId: string,
  domain: string,
): Promise<void> {
  await ownedInstance(deps.store, user, instanceId);
  const claim = await deps.store.domains.get(domain);
  if (claim?.instanceId === instanceId) {
    await deps.store.domains.delete(domain);
    deps.events.emit('domain-changed', { domain, instanceId });
    return;
  }
  if (!(await deps.store.domains.deleteRelease(instanceId, domain))) {
    throw AppError.notFound('Domain');
  }
}
