import { z } from 'zod';
import { DomainName, InstanceId, Timestamp } from './common.js';

export const DomainStatus = z.enum(['pending_verification', 'verified']);
export const SslStatus = z.enum(['pending', 'provisioning', 'active']);
export type DomainStatus = z.infer<typeof DomainStatus>;
export type SslStatus = z.infer<typeof SslStatus>;

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
});
export type AddDomainResponse = z.infer<typeof AddDomainResponse>;

export const DomainListItem = z.object({
  domain: z.string(),
  status: DomainStatus,
  ssl_status: SslStatus,
  verified_at: Timestamp.nullable(),
  verification: CnameInstructions,
  /** Why the last check did not verify the domain, if it did not. */
  error: z.string().nullable(),
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
