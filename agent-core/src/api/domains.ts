import { z } from 'zod';
import { DomainName, InstanceId, Timestamp } from './common.js';

export const DomainStatus = z.enum(['pending_verification', 'verified']);
/**
 * A domain list entry's status: a claim's, or `released` for a name this instance no longer
 * holds (shown to its owner with the reason until they remove the entry).
 */
export const DomainListStatus = z.enum([...DomainStatus.options, 'released']);
/** Why a claim was released: another account proved ownership by DNS, or it was not verified in time. */
export const DomainReleaseReason = z.enum(['claimed_elsewhere', 'expired']);
export const SslStatus = z.enum(['pending', 'provisioning', 'active']);
export type DomainStatus = z.infer<typeof DomainStatus>;
export type SslStatus = z.infer<typeof SslStatus>;
export type DomainListStatus = z.infer<typeof DomainListStatus>;
export type DomainReleaseReason = z.infer<typeof DomainReleaseReason>;

export const AddDomainRequest = z.strictObject({ domain: DomainName });

export const CnameInstructions = z.object({
  type: z.literal('CNAME'),
  name: z.string(),
  value: z.string(),
  instructions: z.string(),
});
export const AddDomainResponse = z.object({
  domain: z.string(),
  status: DomainStatus,
  verification: CnameInstructions,
  /** When an unverified claim lapses and anyone may claim the name; null once verified. */
  expires_at: Timestamp.nullable().optional(),
});
export type AddDomainResponse = z.infer<typeof AddDomainResponse>;

export const DomainListItem = z.object({
  domain: z.string(),
  status: DomainListStatus,
  ssl_status: SslStatus,
  verified_at: Timestamp.nullable(),
  verification: CnameInstructions,
  /** Why the last check did not verify the domain, if it did not; for `released`, why and what to do. */
  error: z.string().nullable(),
  /** When an unverified claim lapses and anyone may claim the name; null once verified. */
  expires_at: Timestamp.nullable().optional(),
  /** `released` entries only: when and why the name left this instance. */
  released_at: Timestamp.optional(),
  release_reason: DomainReleaseReason.optional(),
});
export const DomainList = z.object({ domains: z.array(DomainListItem) });
export type DomainListItem = z.infer<typeof DomainListItem>;

export const VerifyDomainResponse = z.object({
  domain: z.string(),
  status: DomainStatus,
  ssl_status: SslStatus.optional(),
  error: z.string().optional(),
});
export type VerifyDomainResponse = z.infer<typeof VerifyDomainResponse>;

export const DomainParams = z.object({ instance_id: InstanceId, domain: DomainName });
