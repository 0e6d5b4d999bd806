import { getSubdomain } from 'tldts';
import type { DomainRecord } from '../store/types.js';

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

export function toDomainListItem(d: DomainRecord, baseDomain: string) {
  return {
    domain: d.domain,
    status: d.status,
    ssl_status: d.sslStatus,
    verified_at: d.verifiedAt,
    verification: cnameInstructions(d.domain, d.instanceId, baseDomain),
    error: d.lastError,
  };
}
