import { STREAM_PATH } from '@cloud-connect/agent-core/api';
import { AppError } from '../../errors/appError.js';
import { fullDomain, instancePublicUrl } from '../../presenters/instance.js';
import type { Services } from '../../services.js';
import { StoreConflictError, type InstanceRecord } from '../../store/types.js';
import { serverAddress } from '../../tunnelAddresses/cidr.js';

export const PERSISTENT_KEEPALIVE = 25;

/**
 * Register (or re-register) the instance's WireGuard public key: the peer is added or moved
 * on the server with allowed-ips = its tunnel IP/32, and the tunnel configuration comes back.
 */
export async function registerTunnel(
  deps: Services,
  instance: InstanceRecord,
  input: { public_key: string; target_port?: number | undefined },
) {
  if (input.public_key === deps.wireguard.publicKey) {
    // WireGuard ignores a peer with the interface's own key: the tunnel would never come up.
    throw AppError.validation('public_key', "is the relay's own key; generate a new key pair");
  }
  let updated: InstanceRecord | null;
  try {
    updated = await deps.store.instances.update(instance.id, {
      publicKey: input.public_key,
      targetPort: input.target_port ?? instance.targetPort ?? 80,
      registeredAt: deps.clock.now().toISOString(),
    });
  } catch (e) {
    if (e instanceof StoreConflictError && e.field === 'publicKey') {
      throw AppError.validation(
        'public_key',
        'is registered to another instance; generate a new key pair',
      );
    }
    throw e;
  }
  if (!updated) throw AppError.unauthorized();
  if (instance.publicKey && instance.publicKey !== input.public_key) {
    await deps.wireguard.removePeer(instance.publicKey);
  }
  await deps.wireguard.addPeer({ publicKey: input.public_key, tunnelIp: updated.tunnelIp });
  deps.events.emit('instance-changed', { instanceId: instance.id });
  const verified = (await deps.store.domains.listByInstance(instance.id)).filter(
    (d) => d.status === 'verified',
  );
  return {
    status: 'registered' as const,
    tunnel_config: {
      interface: { address: `${updated.tunnelIp}/32` },
      peer: {
        public_key: deps.wireguard.publicKey,
        endpoint: deps.config.wgEndpoint,
        allowed_ips: `${serverAddress(deps.config.tunnelCidr)}/32`,
        persistent_keepalive: PERSISTENT_KEEPALIVE,
      },
    },
    domains: {
      subdomain: fullDomain(updated, deps.config.baseDomain),
      custom_domains: verified.map((d) => d.domain),
    },
    public_url: instancePublicUrl(updated, deps.config),
    transports: {
      // WG_MODE=off: this relay runs no WireGuard of its own.
      wireguard: deps.config.wgMode !== 'off',
      stream: deps.streams ? { path: STREAM_PATH } : null,
    },
  };
}
