import type { Services } from '../../services.js';
import { isReserved, suggestSubdomains } from './suggestSubdomains.js';

/** Is `subdomain` free? When not, why, and free alternatives. */
export async function checkSubdomain(deps: Pick<Services, 'store' | 'clock'>, subdomain: string) {
  const reserved = isReserved(subdomain);
  const taken = !reserved && (await deps.store.instances.findBySubdomain(subdomain)) !== null;
  if (!reserved && !taken) return { subdomain, available: true };
  return {
    subdomain,
    available: false,
    reason: reserved ? ('reserved' as const) : ('taken' as const),
    suggestions: await suggestSubdomains(deps.store, subdomain, deps.clock.now().getUTCFullYear()),
  };
}
