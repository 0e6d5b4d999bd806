import type { Services } from '../../services.js';
import type { UserRecord } from '../../store/types.js';
import { randomId } from '../../tokens/tokens.js';
import { ownedInstance } from './ownedInstance.js';

/**
 * Issue a new instance token. The old one fails on its next call (the store holds the current
 * token id), and the registered peer is removed so the old key loses the tunnel at once; the
 * agent registers again with the new token.
 */
export async function regenerateInstanceToken(
  deps: Services,
  user: UserRecord,
  instanceId: string,
) {
  const current = await ownedInstance(deps.store, user, instanceId);
  const tokenId = randomId();
  await deps.store.instances.update(instanceId, {
    tokenId,
    publicKey: null,
    registeredAt: null,
    status: current.status === 'pending' ? 'pending' : 'disconnected',
  });
  if (current.publicKey) await deps.wireguard.removePeer(current.publicKey);
  deps.events.emit('instance-changed', { instanceId });
  return { instance_token: await deps.tokens.signInstance(instanceId, user.id, tokenId) };
}
