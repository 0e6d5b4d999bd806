import { AppError } from '../../errors/appError.js';
import type { Services } from '../../services.js';
import { isReserved, suggestSubdomains } from './suggestSubdomains.js';

/** SUBDOMAIN_TAKEN (409) with free suggestions, for a reserved or taken subdomain. */
export async function subdomainTaken(deps: Pick<Services, 'store' | 'clock'>, subdomain: string) {
  const suggestions = await suggestSubdomains(
    deps.store,
    subdomain,
    deps.clock.now().getUTCFullYear(),
  );
  const message = isReserved(subdomain)
    ? `"${subdomain}" is reserved; pick another subdomain`
    : 'This subdomain is already in use';
  return new AppError('SUBDOMAIN_TAKEN', message, { subdomain, suggestions });
}
