import { effectivePlan, PLAN_LIMITS } from '../../billing/plans.js';
import { AppError } from '../../errors/appError.js';
import { cnameInstructions } from '../../presenters/domain.js';
import type { Services } from '../../services.js';
import { StoreConflictError, StoreLimitError, type UserRecord } from '../../store/types.js';
import { limitExceeded } from '../instances/createInstance.js';
import { ownedInstance } from '../instances/ownedInstance.js';

/** Add a custom domain (unique across all users) within the plan; answers the CNAME to create. */
export async function addDomain(
  deps: Services,
  user: UserRecord,
  instanceId: string,
  domain: string,
) {
  const instance = await ownedInstance(deps.store, user, instanceId);
  const base = deps.config.baseDomain;
  if (domain === base || domain.endsWith(`.${base}`)) {
    throw AppError.validation(
      'domain',
      `is under ${base}; use the instance's subdomain setting instead`,
    );
  }
  const plan = effectivePlan(user);
  const limit = PLAN_LIMITS[plan].domainsPerInstance;
  if (limit === 0) {
    throw new AppError(
      'SUBSCRIPTION_REQUIRED',
      'Custom domains need a Pro or Business subscription',
      {
        plan,
        upgrade_to: ['pro', 'business'],
      },
    );
  }
  if (await deps.store.domains.get(domain)) throw domainExists(domain);
  try {
    await deps.store.domains.create(
      {
        domain,
        instanceId: instance.id,
        userId: user.id,
        status: 'pending_verification',
        sslStatus: 'pending',
        verifiedAt: null,
        lastCheckedAt: null,
        lastError: null,
        createdAt: deps.clock.now().toISOString(),
      },
      { maxPerInstance: limit },
    );
  } catch (e) {
    if (e instanceof StoreConflictError) throw domainExists(domain);
    if (e instanceof StoreLimitError) throw limitExceeded(user, 'domains', e.limit);
    throw e;
  }
  return {
    domain,
    status: 'pending_verification' as const,
    verification: cnameInstructions(domain, instance.id, base),
  };
}

function domainExists(domain: string): AppError {
  return new AppError('DOMAIN_ALREADY_EXISTS', 'This domain has already been added', { domain });
}
