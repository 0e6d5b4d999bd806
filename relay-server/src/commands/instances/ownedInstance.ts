import { AppError } from '../../errors/appError.js';
import type { Store, UserRecord } from '../../store/types.js';

/** The instance if it exists and is the user's; another user's instance is simply not found. */
export async function ownedInstance(store: Store, user: UserRecord, instanceId: string) {
  const instance = await store.instances.get(instanceId);
  if (!instance || instance.userId !== user.id) throw AppError.notFound('Instance');
  return instance;
}
