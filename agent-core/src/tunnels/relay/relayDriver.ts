import { EventEmitter } from 'node:events';
import type { InstanceApi } from '../../client/instanceClient.js';
import type { Clock, Timers } from '../../time/clock.js';
import type { DriverEventMap, DriverProbe, TunnelDriver } from '../driver.js';
import { StreamDriver, type StreamDriverOptions } from '../stream/streamDriver.js';
import type { TunnelError } from '../tunnelError.js';
import { WireGuardDriver, type WireGuardDriverOptions } from '../wireguard/wireguardDriver.js';

/** How a relay connection carries traffic (settings' `RelayTransport`). */
type RelayTransportChoice = 'auto' | 'wireguard' | 'stream';

export interface RelayDriverOptions {
  /** 'auto' tries WireGuard and falls back to the stream transport; the others use only that one. */
  transport: RelayTransportChoice;
  /** The instance's tunnel endpoints (register, heartbeat, status…). */
  api: InstanceApi;
  /** The relay's API URL (the stream transport dials it). */
  relayUrl: string;
  /** The instance token (the stream upgrade's Bearer). */
  token: string;
  /** WireGuard private key. */
  privateKey: string;
  /** The local app. */
  target: string;
  /** auto: how long WireGuard may take to connect before the stream transport is used; default 5000. */
  handshakeGraceMs?: number;
  /** Extra options for the WireGuard driver (mode, run, prefix…). */
  wireguard?: Partial<WireGuardDriverOptions>;
  /** Extra options for the stream driver (proxy, ca, backoff…). */
  stream?: Partial<StreamDriverOptions>;
  clock?: Clock;
  timers?: Timers;
}

/**
 * A connection to our relay over the transport the user chose (skeleton: delegates to the
 * WireGuard or stream driver; 'auto' is WireGuard until the fallback lands).
 */
export class RelayDriver implements TunnelDriver {
  readonly kind = 'relay' as const;
  readonly events = new EventEmitter<DriverEventMap>();
  private readonly inner: TunnelDriver;

  constructor(private readonly options: RelayDriverOptions) {
    const o = options;
    this.inner =
      o.transport === 'stream'
        ? new StreamDriver({
            relayUrl: o.relayUrl,
            token: o.token,
            target: o.target,
            clock: o.clock,
            timers: o.timers,
            ...o.stream,
          })
        : new WireGuardDriver({
            api: o.api,
            privateKey: o.privateKey,
            target: o.target,
            clock: o.clock,
            timers: o.timers,
            ...o.wireguard,
          });
    const transport = this.inner.kind === 'stream' ? 'stream' : 'wireguard';
    this.inner.events.on('probe', (p) => this.events.emit('probe', tag(p, transport)));
    this.inner.events.on('log', (l) => this.events.emit('log', l));
    this.inner.events.on('exit', (e) => this.events.emit('exit', e));
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }

  async status(): Promise<DriverProbe> {
    return tag(await this.inner.status(), this.inner.kind === 'stream' ? 'stream' : 'wireguard');
  }

  checkTarget(): Promise<TunnelError | null> {
    return this.inner.checkTarget!();
  }
}

function tag(p: DriverProbe, transport: 'wireguard' | 'stream'): DriverProbe {
  return { ...p, details: { ...p.details, transport, transport_reason: null } };
}
