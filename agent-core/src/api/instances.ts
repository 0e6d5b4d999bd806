import { z } from 'zod';
import { InstanceId, Subdomain, Timestamp } from './common.js';

export const InstanceStatus = z.enum(['pending', 'connected', 'disconnected']);
export type InstanceStatus = z.infer<typeof InstanceStatus>;

const InstanceName = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(100, 'must be at most 100 characters');

/**
 * Whether traffic can reach the instance's agent through its tunnel, as this relay sees it.
 * `unchecked`: the relay has no WireGuard interface (`WG_MODE=off`) and cannot see the data
 * path, so `connected` rests on heartbeats alone; `detail` says so in words.
 */
export const DataPathState = z.enum(['up', 'down', 'unchecked']);
export type DataPathState = z.infer<typeof DataPathState>;
export const DataPath = z.object({
  state: DataPathState,
  /** False when the relay cannot see the data path (`WG_MODE=off`). */
  checked_by_relay: z.boolean(),
  /** The cause in words, e.g. "no WireGuard handshake from the agent for 4 min (UDP to relay.example.com:51820 blocked?)". */
  detail: z.string(),
  /** The agent's latest WireGuard handshake with the relay; null when never or not checked. */
  last_handshake_at: Timestamp.nullable(),
});
export type DataPath = z.infer<typeof DataPath>;

/**
 * Whether the agent is there: heartbeating, or holding a stream session (alive says nothing
 * about the WireGuard data path).
 */
export const AgentPresence = z.object({ alive: z.boolean(), last_seen: Timestamp.nullable() });
export type AgentPresence = z.infer<typeof AgentPresence>;

/** The data path an instance's traffic takes now; null while it has none. */
export const TunnelTransport = z.enum(['wireguard', 'stream']);
export type TunnelTransport = z.infer<typeof TunnelTransport>;

/**
 * The relay's status model of one instance: `status` is `connected` only while the agent is
 * alive and the data path is up (or unchecked); `agent` and `data_path` say why. Optional in
 * the schema so answers of relays that predate them stay valid.
 */
export const InstanceHealthFields = {
  agent: AgentPresence.optional(),
  data_path: DataPath.optional(),
  /** The address a browser opens: scheme and port from the relay's edge. */
  public_url: z.string().optional(),
  /** The data path in use: a live stream session, else WireGuard while connected. */
  transport: TunnelTransport.nullable().optional(),
};

export const InstanceListItem = z.object({
  id: InstanceId,
  name: z.string(),
  subdomain: z.string(),
  custom_domain: z.string().nullable(),
  status: InstanceStatus,
  tunnel_ip: z.string(),
  last_seen: Timestamp.nullable(),
  created_at: Timestamp,
  ...InstanceHealthFields,
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
