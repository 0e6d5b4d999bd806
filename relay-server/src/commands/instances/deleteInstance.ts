import type { Services } from '../../services.js';
import type { UserRecord } from '../../store/types.js';
import { ownedInstance } from './ownedInstance.js';

/** Delete an instance with its domains; its WireGuard peer and routes go at once. */
export async function deleteInstance(deps: Services, user: UserRecord, instanceId: string) {
  await ownedInstance(deps.store, user, instanceId);
  const deleted = await deps.store.instances.delete(instanceId);
  if (!deleted) return;
  if (deleted.instance.publicKey) await deps.wireguard.removePeer(deleted.instance.publicKey);
  for (const d of deleted.domains)
    deps.events.emit('domain-changed', { domain: d.domain, instanceId });
  deps.events.emit('instance-changed', { instanceId });
}
