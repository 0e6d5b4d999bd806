import type { RegisterTunnelRequest, ResponseOf } from '../api/index.js';
import { callEndpoint, type TransportOptions } from './transport.js';

/** The tunnel endpoints, called with an instance token (what the WireGuard driver needs). */
export interface InstanceApi {
  registerTunnel(body: RegisterTunnelRequest): Promise<ResponseOf<'registerTunnel'>>;
  heartbeat(): Promise<ResponseOf<'heartbeat'>>;
  disconnect(): Promise<ResponseOf<'disconnectTunnel'>>;
  status(): Promise<ResponseOf<'tunnelStatus'>>;
}

/** The Cloud API as an instance (agent) sees it. */
export class InstanceClient implements InstanceApi {
  constructor(
    private readonly transport: TransportOptions,
    private readonly instanceToken: string,
  ) {}

  registerTunnel(body: RegisterTunnelRequest) {
    return callEndpoint(this.transport, 'registerTunnel', { body }, this.instanceToken);
  }
  heartbeat() {
    return callEndpoint(
      this.transport,
      'heartbeat',
      { body: { timestamp: new Date().toISOString() } },
      this.instanceToken,
    );
  }
  disconnect() {
    return callEndpoint(this.transport, 'disconnectTunnel', {}, this.instanceToken);
  }
  status() {
    return callEndpoint(this.transport, 'tunnelStatus', {}, this.instanceToken);
  }
}
