import { DnsLookupError } from '../../dns/cnameResolver.js';
import { AppError } from '../../errors/appError.js';
import { cnameTarget } from '../../presenters/domain.js';
import type { Services } from '../../services.js';
import type { DomainRecord } from '../../store/types.js';
import { claimExpiresAt, graceExpiry, hasLapsed, releaseDomain } from './domainClaims.js';

export type CnameCheck =
  | { ok: true; found: string[] }
  | { ok: false; kind: 'not_found' | 'unreachable'; error: string }
  | { ok: false; kind: 'wrong_target'; error: string; found: string[] };

/**
 * Resolve the domain's CNAME through the configured resolver and compare it with the
 * instance's target; the client is never trusted.
 */
export async function checkCname(
  deps: Pick<Services, 'dns' | 'config'>,
  d: Pick<DomainRecord, 'domain' | 'instanceId'>,
): Promise<CnameCheck> {
  const expected = cnameTarget(d.instanceId, deps.config.baseDomain);
  try {
    const found = await deps.dns.resolveCname(d.domain);
    if (found.includes(expected)) return { ok: true, found };
    return {
      ok: false,
      kind: 'wrong_target',
      found,
      error: `CNAME points to ${found.join(', ')}, expected ${expected}`,
    };
  } catch (e) {
    if (e instanceof DnsLookupError) return { ok: false, kind: e.kind, error: e.message };
    throw e;
  }
}

/**
 * What a check changes on the domain record. A verified domain whose CNAME moved away stops
 * routing at once but stays its owner's for the grace period (a slip at the DNS provider
 * can be mended); a pending claim keeps the expiry it has.
 */
function patchFor(
  deps: Pick<Services, 'config'>,
  d: DomainRecord,
  check: CnameCheck,
  at: Date,
): Partial<DomainRecord> {
  const now = at.toISOString();
  if (check.ok) {
    return {
      status: 'verified',
      verifiedAt: d.status === 'verified' ? d.verifiedAt : now,
      sslStatus: d.sslStatus === 'active' ? 'active' : 'provisioning',
      lastError: null,
      lastCheckedAt: now,
      expiresAt: null,
      graceUntil: null,
    };
  }
  // A DNS outage proves nothing about the record: a verified domain keeps routing.
  if (check.kind === 'unreachable' && d.status === 'verified') {
    return { lastError: check.error, lastCheckedAt: now };
  }
  const pending = {
    status: 'pending_verification',
    sslStatus: 'pending',
    verifiedAt: null,
    lastError: check.error,
    lastCheckedAt: now,
  } as const;
  if (d.status === 'verified') {
    const grace = graceExpiry(deps, at);
    return { ...pending, expiresAt: grace, graceUntil: grace };
  }
  // A claim in its grace period keeps `graceUntil` as it is.
  return { ...pending, expiresAt: claimExpiresAt(deps, d) };
}

/** Apply a check's result to the domain; emits `domain-changed` when routing changes. */
export async function applyCheck(
  deps: Services,
  d: DomainRecord,
  check: CnameCheck,
): Promise<DomainRecord> {
  const patch = patchFor(deps, d, check, deps.clock.now());
  // The name may have passed to another instance while DNS was asked: that check was not for it.
  const current = await deps.store.domains.get(d.domain);
  if (current?.instanceId !== d.instanceId) return d;
  const updated = (await deps.store.domains.update(d.domain, patch)) ?? d;
  if (updated.status !== d.status)
    deps.events.emit('domain-changed', { domain: d.domain, instanceId: d.instanceId });
  return updated;
}

/**
 * Check the CNAME now. Verified → `verified` + `ssl_status`; no record yet or DNS unreachable →
 * 200 `pending_verification` with the reason; a CNAME pointing elsewhere → 400
 * DNS_VERIFICATION_FAILED with what was found and what is expected. An already verified
 * domain stays verified when DNS cannot be asked (200 with the reason in `error`).
 */
export async function verifyDomain(deps: Services, d: DomainRecord) {
  if (hasLapsed(deps, d)) {
    // The name was free for anyone since it lapsed: a claim is made again, not revived.
    await releaseDomain(deps, d, 'expired');
    throw new AppError(
      'NOT_FOUND',
      `The claim on ${d.domain} expired before its CNAME was verified. Add the domain again to claim it anew.`,
      { domain: d.domain },
    );
  }
  const check = await checkCname(deps, d);
  const updated = await applyCheck(deps, d, check);
  if (check.ok) return { domain: d.domain, status: updated.status, ssl_status: updated.sslStatus };
  if (updated.status === 'verified') {
    return {
      domain: d.domain,
      status: updated.status,
      ssl_status: updated.sslStatus,
      error: check.error,
    };
  }
  if (check.kind === 'wrong_target') {
    throw new AppError('DNS_VERIFICATION_FAILED', check.error, {
      domain: d.domain,
      expected: cnameTarget(d.instanceId, deps.config.baseDomain),
      found: check.found,
    });
  }
  return { domain: d.domain, status: updated.status, error: check.error };
}
