import { DnsLookupError } from '../../dns/cnameResolver.js';
import { AppError } from '../../errors/appError.js';
import { cnameTarget } from '../../presenters/domain.js';
import type { Services } from '../../services.js';
import type { DomainRecord } from '../../store/types.js';

export type CnameCheck =
  | { ok: true }
  | { ok: false; kind: 'not_found' | 'unreachable'; error: string }
  | { ok: false; kind: 'wrong_target'; error: string; found: string[] };

/** Resolve the domain's CNAME through the configured resolver; the client is never trusted. */
export async function checkCname(
  deps: Pick<Services, 'dns' | 'config'>,
  d: DomainRecord,
): Promise<CnameCheck> {
  const expected = cnameTarget(d.instanceId, deps.config.baseDomain);
  try {
    const found = await deps.dns.resolveCname(d.domain);
    if (found.includes(expected)) return { ok: true };
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

/** What a check changes on the domain record. */
function patchFor(d: DomainRecord, check: CnameCheck, now: string): Partial<DomainRecord> {
  if (check.ok) {
    return {
      status: 'verified',
      verifiedAt: d.status === 'verified' ? d.verifiedAt : now,
      sslStatus: d.sslStatus === 'active' ? 'active' : 'provisioning',
      lastError: null,
      lastCheckedAt: now,
    };
  }
  // A DNS outage proves nothing about the record: a verified domain keeps routing.
  if (check.kind === 'unreachable' && d.status === 'verified') {
    return { lastError: check.error, lastCheckedAt: now };
  }
  return {
    status: 'pending_verification',
    sslStatus: 'pending',
    verifiedAt: null,
    lastError: check.error,
    lastCheckedAt: now,
  };
}

/** Apply a check's result to the domain; emits `domain-changed` when routing changes. */
export async function applyCheck(
  deps: Services,
  d: DomainRecord,
  check: CnameCheck,
): Promise<DomainRecord> {
  const patch = patchFor(d, check, deps.clock.now().toISOString());
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
