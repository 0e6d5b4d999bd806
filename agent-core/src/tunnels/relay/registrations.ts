import type { RegisterTunnelResponse } from '../../api/tunnel.js';
import type { InstanceApi } from '../../client/instanceClient.js';

/**
 * The instance API with every registration answer passed through `map` before its caller sees
 * it: the RelayDriver learns the endpoint, domains and transports of the WireGuard driver's
 * registration this way (and refuses a relay without WireGuard by throwing), without a hook in
 * that driver. The other endpoints are the API's own.
 */
export function mapRegistrations(
  api: InstanceApi,
  map: (answer: RegisterTunnelResponse) => RegisterTunnelResponse,
): InstanceApi {
  return {
    registerTunnel: async (body) => map(await api.registerTunnel(body)),
    heartbeat: () => api.heartbeat(),
    disconnect: () => api.disconnect(),
    status: () => api.status(),
  };
}
