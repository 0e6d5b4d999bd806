import { EventEmitter } from 'node:events';
import type { InstanceApi } from '../client/instanceClient.js';
import type { DriverEventMap, DriverProbe, TunnelDriver } from '../tunnels/driver.js';
import { generateKeyPair } from '../wireguard/keys.js';

/**
 * A relay connection on the WireGuard transport that registers and heartbeats like the
 * WireGuard driver, without an interface: for tests of what the relay and the Manager make of a
 * tunnel, where the relay side is what is under test. Run its relay with a 127.x TUNNEL_CIDR,
 * since registering hands out a tunnel address.
 */
export class RelayOnlyWireGuard implements TunnelDriver {
  readonly kind = 'relay' as const;
  readonly events = new EventEmitter<DriverEventMap>();
  readonly publicKey = generateKeyPair().publicKey;
  private running = false;

  constructor(readonly api: InstanceApi) {}

  async start() {
    await this.api.registerTunnel({ public_key: this.publicKey, target_port: 9 });
    await this.api.heartbeat();
    this.running = true;
    this.events.emit('probe', await this.status());
  }

  async stop() {
    this.running = false;
  }

  async status(): Promise<DriverProbe> {
    return {
      running: this.running,
      connected: this.running,
      hostnames: [],
      error: null,
      // As the RelayDriver says it for an explicit choice of WireGuard.
      details: { transport: 'wireguard', transport_reason: null },
    };
  }
}
