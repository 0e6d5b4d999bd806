import { z } from 'zod';
import { WireGuardKey } from './common.js';
import { InstanceHealthFields } from './instances.js';
import { DomainStatus, SslStatus } from './domains.js';

export const RegisterTunnelRequest = z.strictObject({
  public_key: WireGuardKey,
  /** Port the agent's forwarder listens on at its tunnel IP; the edge sends traffic there. */
  target_port: z.number().int().min(1).max(65535).optional(),
});
export type RegisterTunnelRequest = z.input<typeof RegisterTunnelRequest>;

export const TunnelConfig = z.object({
  interface: z.object({ address: z.string() }),
  peer: z.object({
    public_key: z.string(),
    endpoint: z.string(),
    allowed_ips: z.string(),
    persistent_keepalive: z.number().int(),
  }),
});
/** A relay's data paths: WireGuard (unless `WG_MODE=off`) and the stream transport. */
export const TunnelTransports = z.object({
  wireguard: z.boolean(),
  /** The stream transport's upgrade path on the relay's API URL (`STREAM_PATH`). */
  stream: z.object({ path: z.string() }).nullable(),
});
export type TunnelTransports = z.infer<typeof TunnelTransports>;

export const RegisterTunnelResponse = z.object({
  status: z.literal('registered'),
  tunnel_config: TunnelConfig,
  domains: z.object({ subdomain: z.string(), custom_domains: z.array(z.string()) }),
  /** The address a browser opens (scheme and port from the relay's edge); absent on older relays. */
  public_url: InstanceHealthFields.public_url,
  /** The data paths this relay offers and how to reach them; absent on older relays. */
  transports: TunnelTransports.optional(),
});
export type RegisterTunnelResponse = z.infer<typeof RegisterTunnelResponse>;

export const HeartbeatRequest = z.strictObject({ timestamp: z.iso.datetime().optional() });
export const HeartbeatResponse = z.object({
  status: z.literal('ok'),
  next_heartbeat_in: z.number().int(),
});
export type HeartbeatResponse = z.infer<typeof HeartbeatResponse>;

export const DisconnectResponse = z.object({ status: z.literal('disconnected') });

export const TunnelStatus = z.enum(['pending', 'connected', 'disconnected']);
export const TunnelStatusResponse = z.object({
  tunnel_status: TunnelStatus,
  ...InstanceHealthFields,
  domains: z.object({
    subdomain: z.object({ domain: z.string(), status: z.enum(['active', 'inactive']) }),
    custom_domains: z.array(
      z.object({
        domain: z.string(),
        status: z.enum(['active', 'inactive', 'pending_verification']),
        ssl_status: SslStatus,
        verification_status: DomainStatus,
      }),
    ),
  }),
});
export type TunnelStatusResponse = z.infer<typeof TunnelStatusResponse>;
