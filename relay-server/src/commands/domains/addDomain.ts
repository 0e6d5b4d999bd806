import { effectivePlan, PLAN_LIMITS } from '../../billing/plans.js';
import { AppError } from '../../errors/appError.js';
import { cnameInstructions, cnameTarget } from '../../presenters/domain.js';
import type { Services } from '../../services.js';
import {
  StoreConflictError,
  StoreLimitError,
  type DomainRecord,
  type UserRecord,
} from '../../store/types.js';
import { limitExceeded } from '../instances/createInstance.js';
import { ownedInstance } from '../instances/ownedInstance.js';
import { hasLapsed, pendingExpiry, releaseDomain } from './domainClaims.js';
import { checkCname } from './verifyDomain.js';

/**
 * Add a custom domain (unique across all users) within the plan; answers the CNAME to create.
 * Ownership is proven by DNS, not by who asked first: a name whose claim lapsed is free, and
 * a name another instance holds only as a pending claim passes to this one when its CNAME
 * already points here (the other claim is dropped and its owner told in their domain list).
 * The new claim is then verified at once, since the check that proved it is the verification.
 * A name another account has verified is not taken over, even with its CNAME pointing here:
 * once the relay's check finds the CNAME moved away, the owner keeps it for the grace period
 * (a slip at the DNS provider can be mended) and it is free after that.
 */
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
  const now = deps.clock.now();
  const claim: DomainRecord = {
    domain,
    instanceId: instance.id,
    userId: user.id,
    status: 'pending_verification',
    sslStatus: 'pending',
    verifiedAt: null,
    lastCheckedAt: null,
    lastError: null,
    createdAt: now.toISOString(),
    expiresAt: pendingExpiry(deps, now),
  };
  const target = cnameTarget(instance.id, base);
  const added = await claimName(deps, claim, limit, user).catch((e: unknown) => {
    if (e instanceof StoreConflictError) throw new AppError(...alreadyAdded(domain, target));
    if (e instanceof StoreLimitError) throw limitExceeded(user, 'domains', e.limit);
    throw e;
  });
  return {
    domain,
    status: added.status,
    verification: cnameInstructions(domain, instance.id, base),
    expires_at: added.expiresAt ?? null,
  };
}

/** Store the claim, over a lapsed one or one DNS disproves; answers what was stored. */
async function claimName(
  deps: Services,
  claim: DomainRecord,
  maxPerInstance: number,
  user: UserRecord,
): Promise<DomainRecord> {
  const held = await deps.store.domains.get(claim.domain);
  if (!held) return deps.store.domains.create(claim, { maxPerInstance });
  if (hasLapsed(deps, held)) {
    if (await releaseDomain(deps, held, 'expired', { record: claim, maxPerInstance })) return claim;
    throw new StoreConflictError('domain');
  }
  const target = cnameTarget(claim.instanceId, deps.config.baseDomain);
  if (held.instanceId === claim.instanceId) {
    throw new AppError('DOMAIN_ALREADY_EXISTS', 'This domain is already on this instance', {
      domain: claim.domain,
    });
  }
  if (held.userId !== user.id && (held.status === 'verified' || held.graceUntil)) {
    throw new AppError(...verifiedElsewhere(deps, held, target));
  }
  const check = await checkCname(deps, claim);
  // Proven only if the name points here and not (also) at the instance that holds it.
  const heldTarget = cnameTarget(held.instanceId, deps.config.baseDomain);
  if (!check.ok || check.found.includes(heldTarget)) {
    throw new AppError(...alreadyAdded(claim.domain, target, held.userId === user.id));
  }
  const at = deps.clock.now().toISOString();
  const verified: DomainRecord = {
    ...claim,
    status: 'verified',
    sslStatus: 'provisioning',
    verifiedAt: at,
    lastCheckedAt: at,
    expiresAt: null,
  };
  if (await releaseDomain(deps, held, 'claimed_elsewhere', { record: verified, maxPerInstance })) {
    return verified;
  }
  throw new StoreConflictError('domain');
}

/** 409 for a name held elsewhere, saying how to take it over: DNS decides. */
function alreadyAdded(
  domain: string,
  target: string,
  ownInstance = false,
): ConstructorParameters<typeof AppError> {
  const where = ownInstance ? 'on another of your instances' : 'claimed by another account';
  return [
    'DOMAIN_ALREADY_EXISTS',
    `This domain is ${where}. If it is yours to move here, point its CNAME record to ${target} and add it again: a claim proven by DNS takes the name over.`,
    { domain, expected: target },
  ];
}

/**
 * 409 for a name another account verified (or holds in its grace period): DNS alone does not
 * take it; it is released once its CNAME has pointed elsewhere for the grace period.
 */
function verifiedElsewhere(
  deps: Pick<Services, 'config'>,
  held: DomainRecord,
  target: string,
): ConstructorParameters<typeof AppError> {
  const grace = deps.config.domainReleaseGraceHours;
  const when = held.graceUntil
    ? `at ${held.graceUntil} if its CNAME keeps pointing elsewhere until then`
    : `${grace} hours after the relay's checks find its CNAME pointing elsewhere, if it keeps doing so`;
  return [
    'DOMAIN_ALREADY_EXISTS',
    `This domain is verified by another account. It is released after the grace period (${when}); then point its CNAME record to ${target} and add it again.`,
    { domain: held.domain, expected: target, release_at: held.graceUntil ?? null },
  ];
}
