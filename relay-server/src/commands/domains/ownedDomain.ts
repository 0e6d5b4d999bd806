import { AppError } from '../../errors/appError.js';
import type { Store, UserRecord } from '../../store/types.js';
import { ownedInstance } from '../instances/ownedInstance.js';

/** The domain if it is on this instance of this user; otherwise not found. */
export async function ownedDomain(
  store: Store,
  user: UserRecord,
  instanceId: string,
  domain: string,
) {
  await ownedInstance(store, user, instanceId);
  const record = await store.domains.get(domain);
  if (!record || record.instanceId !== instanceId) throw AppError.notFound('Domain');
  return record;
}
