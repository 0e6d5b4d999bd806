import { fullDomain, instancePublicUrl } from '../../presenters/instance.js';
import type { Services } from '../../services.js';
import type { InstanceRecord } from '../../store/types.js';

/** Tunnel and domain status as the relay sees them. */
export async function tunnelStatus(deps: Services, instance: InstanceRecord) {
  const health = await deps.liveness.health(instance);
  const status = health.status;
  const up = status === 'connected';
  const domains = await deps.store.domains.listByInstance(instance.id);
  return {
    tunnel_status: status,
    agent: health.agent,
    data_path: health.data_path,
    public_url: instancePublicUrl(instance, deps.config),
    transport: health.transport,
    domains: {
      subdomain: {
        domain: fullDomain(instance, deps.config.baseDomain),
        status: up ? ('active' as const) : ('inactive' as const),
      },
      custom_domains: domains.map((d) => ({
        domain: d.domain,
        status:
          d.status !== 'verified'
            ? ('pending_verification' as const)
            : up
              ? ('active' as const)
              : ('inactive' as const),
        ssl_status: d.sslStatus,
        verification_status: d.status,
      })),
    },
  };
}
