import { getSubdomain } from 'tldts';
import type { DomainRecord, DomainReleaseRecord } from '../store/types.js';

/** Where a custom domain's CNAME must point: `<instance id>.tunnel.<base domain>`. */
export const cnameTarget = (instanceId: string, baseDomain: string) =>
  `${instanceId}.tunnel.${baseDomain}`;

/** The record to create at the DNS provider; `name` is relative to the registered domain. */
export function cnameInstructions(domain: string, instanceId: string, baseDomain: string) {
  const name = getSubdomain(domain) || '@';
  const apex = name === '@';
  return {
    type: 'CNAME' as const,
    name,
    value: cnameTarget(instanceId, baseDomain),
    instructions: apex
      ? 'Add this record at your DNS provider. At the zone apex most providers call it ALIAS, ANAME or CNAME flattening.'
      : 'Add this CNAME record to your DNS provider',
  };
}

/** A claim as its instance's domain list shows it; `expiresAt` is when an unverified one lapses. */
export function toDomainListItem(d: DomainRecord, baseDomain: string, expiresAt: string | null) {
  return {
    domain: d.domain,
    status: d.status,
    ssl_status: d.sslStatus,
    verified_at: d.verifiedAt,
    verification: cnameInstructions(d.domain, d.instanceId, baseDomain),
    error: d.lastError,
    expires_at: expiresAt,
  };
}

/** Why a name left the instance and how to get it back, in the owner's words. */
function releaseMessage(r: DomainReleaseRecord, target: string): string {
  switch (r.reason) {
    case 'claimed_elsewhere':
      return `Released: another account proved by DNS that it controls this domain (its CNAME points to their instance). If the domain is yours, point its CNAME to ${target} and add it again.`;
    case 'expired': {
      const last = r.lastError ? ` (last check: ${r.lastError})` : '';
      return `Released: its CNAME did not point to ${target} before the claim expired${last}. Add the domain again to claim it anew.`;
    }
  }
}

/** A name the instance no longer holds, listed until its owner removes the entry. */
export function toReleasedListItem(r: DomainReleaseRecord, baseDomain: string) {
  const verification = cnameInstructions(r.domain, r.instanceId, baseDomain);
  return {
    domain: r.domain,
    status: 'released' as const,
    ssl_status: 'pending' as const,
    verified_at: null,
    verification,
    error: releaseMessage(r, verification.value),
    expires_at: null,
    released_at: r.releasedAt,
    release_reason: r.reason,
  };
}
