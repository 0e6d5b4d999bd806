import { z } from 'zod';
import { InstanceId, Subdomain, Timestamp } from './common.js';

export const InstanceStatus = z.enum(['pending', 'connected', 'disconnected']);
export type InstanceStatus = z.infer<typeof InstanceStatus>;

const InstanceName = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(100, 'must be at most 100 characters');

export const InstanceListItem = z.object({
  id: InstanceId,
  name: z.string(),
  subdomain: z.string(),
  custom_domain: z.string().nullable(),
  status: InstanceStatus,
  tunnel_ip: z.string(),
  last_seen: Timestamp.nullable(),
  created_at: Timestamp,
});
export const InstanceList = z.object({ instances: z.array(InstanceListItem) });
export type InstanceListItem = z.infer<typeof InstanceListItem>;

export const InstanceDetail = InstanceListItem.extend({ full_domain: z.string() });
export type InstanceDetail = z.infer<typeof InstanceDetail>;

export const CreateInstanceRequest = z.strictObject({ name: InstanceName, subdomain: Subdomain });
export type CreateInstanceRequest = z.input<typeof CreateInstanceRequest>;

export const WireGuardCredentials = z.object({
  server_public_key: z.string(),
  server_endpoint: z.string(),
  client_ip: z.string(),
  allowed_ips: z.string(),
});
export const CreateInstanceResponse = z.object({
  instance: z.object({
    id: InstanceId,
    name: z.string(),
    subdomain: z.string(),
    full_domain: z.string(),
    status: InstanceStatus,
    tunnel_ip: z.string(),
    created_at: Timestamp,
  }),
  credentials: z.object({ instance_token: z.string(), wireguard: WireGuardCredentials }),
});
export type CreateInstanceResponse = z.infer<typeof CreateInstanceResponse>;

export const UpdateInstanceRequest = z
  .strictObject({ name: InstanceName.optional(), subdomain: Subdomain.optional() })
  .refine((v) => v.name !== undefined || v.subdomain !== undefined, {
    message: 'give at least one of name or subdomain',
    path: ['name'],
  });
export const UpdateInstanceResponse = z.object({
  id: InstanceId,
  name: z.string(),
  subdomain: z.string(),
  full_domain: z.string(),
});
export const RegenerateTokenResponse = z.object({ instance_token: z.string() });
export const InstanceParams = z.object({ instance_id: InstanceId });
