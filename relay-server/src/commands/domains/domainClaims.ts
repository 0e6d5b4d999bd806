import type { DomainReleaseReason } from '@cloud-connect/agent-core/api';
import type { Services } from '../../services.js';
import { StoreConflictError, type DomainRecord } from '../../store/types.js';

const HOUR_MS = 3_600_000;

type ClaimDeps = Pick<Services, 'config' | 'clock'>;

const hoursAfter = (from: Date, hours: number) =>
  new Date(from.getTime() + hours * HOUR_MS).toISOString();

/** When a claim made (or found unverified) at `from` lapses: DOMAIN_PENDING_TTL_H later. */
export const pendingExpiry = (deps: Pick<Services, 'config'>, from: Date) =>
  hoursAfter(from, deps.config.domainPendingTtlHours);

/** When a verified domain whose CNAME moved away at `from` is released: the grace period later. */
export const graceExpiry = (deps: Pick<Services, 'config'>, from: Date) =>
  hoursAfter(from, deps.config.domainReleaseGraceHours);

/**
 * When the claim lapses and the name is free for anyone; null while verified. Records from
 * before claims expired have no `expiresAt` and lapse the pending TTL after they were made.
 */
export function claimExpiresAt(deps: Pick<Services, 'config'>, d: DomainRecord): string | null {
  if (d.status === 'verified') return null;
  return d.expiresAt ?? pendingExpiry(deps, new Date(d.createdAt));
}

/** Whether an unverified claim is past its expiry (by the injected clock). */
export function hasLapsed(deps: ClaimDeps, d: DomainRecord): boolean {
  const at = claimExpiresAt(deps, d);
  return at !== null && Date.parse(at) <= deps.clock.now().getTime();
}

/**
 * Drop the claim `d` as it was read, leaving its instance a notice saying why; with `claim`,
 * the name passes to that record in the same step (StoreLimitError past its limit). False
 * when `d` changed meanwhile (verified, released or taken by a concurrent request).
 */
export async function releaseDomain(
  deps: Pick<Services, 'store' | 'clock' | 'events' | 'logger'>,
  d: DomainRecord,
  reason: DomainReleaseReason,
  claim?: { record: DomainRecord; maxPerInstance: number },
): Promise<boolean> {
  const notice = {
    domain: d.domain,
    instanceId: d.instanceId,
    userId: d.userId,
    reason,
    releasedAt: deps.clock.now().toISOString(),
    lastError: d.lastError,
  };
  try {
    await deps.store.domains.release(d, notice, claim);
  } catch (e) {
    if (e instanceof StoreConflictError) return false;
    throw e;
  }
  // The route table re-reads the name: off the old instance, onto a verified new claim.
  if (d.status === 'verified' || claim?.record.status === 'verified') {
    deps.events.emit('domain-changed', { domain: d.domain, instanceId: d.instanceId });
  }
  deps.logger.info(
    {
      domain: d.domain,
      instance_id: d.instanceId,
      reason,
      ...(claim ? { claimed_by_instance: claim.record.instanceId } : {}),
    },
    'custom domain released',
  );
  return true;
}

/** Release the lapsed claims among `domains`; answers the ones still held. */
export async function dropLapsed(
  deps: Pick<Services, 'store' | 'clock' | 'events' | 'logger' | 'config'>,
  domains: DomainRecord[],
): Promise<DomainRecord[]> {
  const held: DomainRecord[] = [];
  for (const d of domains) {
    if (!hasLapsed(deps, d)) held.push(d);
    else if (!(await releaseDomain(deps, d, 'expired'))) {
      // Changed meanwhile (verified just now, say): show what the store holds.
      const now = await deps.store.domains.get(d.domain);
      if (now?.instanceId === d.instanceId) held.push(now);
    }
  }
  return held;
}
