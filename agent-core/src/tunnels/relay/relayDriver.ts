import { EventEmitter } from 'node:events';
import type { TunnelTransport } from '../../api/instances.js';
import type { RegisterTunnelResponse } from '../../api/tunnel.js';
import type { InstanceApi } from '../../client/instanceClient.js';
import type { RelayTransport } from '../../settings/settingsSchema.js';
import { systemClock, systemTimers, type Clock, type Timers } from '../../time/clock.js';
import type { DriverEventMap, DriverLogLine, DriverProbe, TunnelDriver } from '../driver.js';
import { StreamDriver, type StreamDriverOptions } from '../stream/streamDriver.js';
import { TunnelError } from '../tunnelError.js';
import { parseTarget } from '../wireguard/target.js';
import { dialTarget } from '../wireguard/tcpForwarder.js';
import { WireGuardDriver, type WireGuardDriverOptions } from '../wireguard/wireguardDriver.js';
import { mapRegistrations } from './registrations.js';
import {
  interfaceFailureReason,
  noHandshakeReason,
  RELAY_WITHOUT_STREAM,
  RELAY_WITHOUT_WIREGUARD,
} from './fallbackReasons.js';

export interface RelayDriverOptions {
  /** 'auto' tries WireGuard and falls back to the stream transport; the others use only that one. */
  transport: RelayTransport;
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

/** The inner driver carrying the traffic, and why it was chosen (auto only). */
interface Active {
  driver: TunnelDriver;
  transport: TunnelTransport;
  reason: string | null;
}

/** How auto's WireGuard attempt ended while it waited for the first connected probe. */
type GraceOutcome =
  | { kind: 'connected'; probe: DriverProbe }
  | { kind: 'timeout'; probe: DriverProbe | null }
  | { kind: 'exit'; error: TunnelError }
  | { kind: 'cancelled' };

const DEFAULT_GRACE_MS = 5000;

/**
 * A connection to our relay over the transport the user chose: WireGuard, the stream
 * transport, or `auto`, which tries WireGuard and falls back to the stream transport when the
 * relay does not offer WireGuard, the interface cannot be made here (no permission, no TUN
 * device, a program missing) or no handshake comes within the grace (UDP blocked). A revoked
 * token or bad settings are final, as in the other drivers. Probes name the path in use
 * (`details.transport`) and, for auto, why (`details.transport_reason`).
 */
export class RelayDriver implements TunnelDriver {
  readonly kind = 'relay' as const;
  readonly events = new EventEmitter<DriverEventMap>();
  private readonly wireguard: WireGuardDriver | null;
  private readonly target: { host: string; port: number };
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly graceMs: number;
  private active: Active | null = null;
  private starting: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  /** Bumped by stop(): a start in progress that sees another value gives up. */
  private generation = 0;
  /** The waiting WireGuard attempt (auto), told of the WireGuard driver's probes and exit. */
  private grace: ((outcome: GraceOutcome) => void) | null = null;
  /** The latest registration answer (auto and wireguard), for the endpoint and the transports. */
  private registration: RegisterTunnelResponse | null = null;
  /** The instance's public hostnames as far as known, for probes whose driver has none. */
  private hostnames: string[] = [];
  private lastError: TunnelError | null = null;

  constructor(private readonly options: RelayDriverOptions) {
    const o = options;
    // Key, URL and target throw CONFIG_INVALID here, before anything is started.
    this.target = parseTarget(o.target);
    if (o.transport !== 'wireguard') this.makeStream([]);
    this.wireguard =
      o.transport === 'stream'
        ? null
        : new WireGuardDriver({
            api: mapRegistrations(o.api, this.registered),
            privateKey: o.privateKey,
            target: o.target,
            clock: o.clock,
            timers: o.timers,
            ...o.wireguard,
          });
    this.clock = o.clock ?? systemClock;
    this.timers = o.timers ?? systemTimers;
    this.graceMs = o.handshakeGraceMs ?? DEFAULT_GRACE_MS;
    const wg = this.wireguard;
    if (wg) {
      wg.events.on('log', (line) => this.events.emit('log', line));
      wg.events.on('probe', (probe) => {
        if (this.active?.driver === wg) this.events.emit('probe', this.tag(probe));
        else if (probe.connected) this.grace?.({ kind: 'connected', probe });
      });
      wg.events.on('exit', (error) => {
        if (this.active?.driver === wg) this.exited(error);
        else this.grace?.({ kind: 'exit', error });
      });
    }
  }

  /**
   * A registration answer, as the WireGuard driver gets it: kept (its endpoint, domains and
   * transports decide auto's path), and in auto refused when the relay runs no WireGuard,
   * before any interface is made.
   */
  private registered = (answer: RegisterTunnelResponse): RegisterTunnelResponse => {
    this.registration = answer;
    this.hostnames = [answer.domains.subdomain, ...answer.domains.custom_domains];
    if (this.options.transport === 'auto' && answer.transports?.wireguard === false) {
      throw new TunnelError('RELAY_WITHOUT_WIREGUARD', 'The relay does not offer WireGuard');
    }
    return answer;
  };

  private makeStream(hostnames: string[]): StreamDriver {
    const o = this.options;
    return new StreamDriver({
      relayUrl: o.relayUrl,
      token: o.token,
      target: o.target,
      hostnames,
      clock: o.clock,
      timers: o.timers,
      ...o.stream,
    });
  }

  private log(level: DriverLogLine['level'], message: string) {
    this.events.emit('log', { level, message, at: this.clock.now() });
  }

  start(): Promise<void> {
    if (this.active && !this.stopping) return Promise.resolve();
    if (!this.starting) {
      const starting = this.doStart(this.generation).finally(() => {
        if (this.starting === starting) this.starting = null;
      });
      this.starting = starting;
    }
    return this.starting;
  }

  private async doStart(generation: number): Promise<void> {
    if (this.stopping) await this.stopping;
    // A stop asked for while this start waited for the earlier one cancels it too.
    if (generation !== this.generation) return;
    this.lastError = null;
    try {
      switch (this.options.transport) {
        case 'wireguard':
          return await this.use(generation, this.wireguard!, 'wireguard', null);
        case 'stream':
          this.learnHostnames();
          return await this.useStream(generation, null);
        case 'auto':
          return await this.auto(generation, this.wireguard!);
      }
    } catch (e) {
      this.lastError = TunnelError.from(e);
      throw this.lastError;
    }
  }

  /** Try WireGuard; on a reason to leave it, take it down completely and use the stream. */
  private async auto(generation: number, wg: WireGuardDriver): Promise<void> {
    this.registration = null;
    try {
      await wg.start();
    } catch (e) {
      const error = TunnelError.from(e);
      // No answer to the registration: the relay itself is the problem (unreachable, 5xx, a
      // revoked token), and the stream transport dials that same relay.
      if (!this.registrationNow()) throw error;
      const reason =
        error.code === 'RELAY_WITHOUT_WIREGUARD'
          ? RELAY_WITHOUT_WIREGUARD
          : interfaceFailureReason(error);
      if (reason === null) throw error;
      return this.fallBack(generation, wg, reason, error);
    }
    if (generation !== this.generation) return;
    const outcome = await this.awaitHandshake(wg);
    switch (outcome.kind) {
      case 'cancelled':
        return;
      case 'connected':
        // The preferred path works: nothing to explain.
        return this.use(generation, wg, 'wireguard', null, outcome.probe);
      case 'exit': {
        const reason = interfaceFailureReason(outcome.error);
        if (reason === null) throw outcome.error;
        return this.fallBack(generation, wg, reason, outcome.error);
      }
      case 'timeout': {
        const endpoint = this.registrationNow()?.tunnel_config.peer.endpoint ?? 'the relay';
        const reason = noHandshakeReason(this.graceMs, endpoint);
        if (!this.offersStream()) {
          // Nothing to fall back to: WireGuard keeps trying (a UDP path may open later).
          const why = `${reason}; ${RELAY_WITHOUT_STREAM}`;
          return this.use(generation, wg, 'wireguard', why, outcome.probe);
        }
        return this.fallBack(generation, wg, reason, null);
      }
    }
  }

  /**
   * Wait for the started WireGuard driver's first connected probe, its exit, the end of the
   * grace (on the injectable timers), or stop(). At the end of the grace it is probed once
   * more, so a connection the periodic probe has not seen yet still counts.
   */
  private awaitHandshake(wg: WireGuardDriver): Promise<GraceOutcome> {
    return new Promise<GraceOutcome>((resolve) => {
      const timer = this.timers.setTimeout(() => {
        void wg.status().then(
          (probe) =>
            settle(probe.connected ? { kind: 'connected', probe } : { kind: 'timeout', probe }),
          () => settle({ kind: 'timeout', probe: null }),
        );
      }, this.graceMs);
      timer.unref();
      const settle = (outcome: GraceOutcome) => {
        if (this.grace !== settle) return;
        this.grace = null;
        this.timers.clearTimeout(timer);
        resolve(outcome);
      };
      this.grace = settle;
    });
  }

  /** This start's registration answer: a method, as the WireGuard driver's call sets it behind TS's back. */
  private registrationNow(): RegisterTunnelResponse | null {
    return this.registration;
  }

  /** An older relay's answer has no `transports`: it predates the stream transport. */
  private offersStream(): boolean {
    return !!this.registrationNow()?.transports?.stream;
  }

  /**
   * Leave WireGuard for the stream transport: the WireGuard attempt is stopped first (no
   * interface, no session at the relay), then the stream sessions open. A relay without the
   * stream transport ends the start with the WireGuard failure, the reason added.
   */
  private async fallBack(
    generation: number,
    wg: WireGuardDriver,
    reason: string,
    cause: TunnelError | null,
  ): Promise<void> {
    await wg.stop();
    if (generation !== this.generation) return;
    if (!this.offersStream()) {
      if (!cause || cause.code === 'RELAY_WITHOUT_WIREGUARD') {
        throw new TunnelError(
          'RELAY_WITHOUT_WIREGUARD',
          'The relay offers neither WireGuard nor the stream transport: ask its operator to turn one on',
        );
      }
      throw new TunnelError(
        cause.code,
        `${reason.charAt(0).toUpperCase()}${reason.slice(1)}, and ${RELAY_WITHOUT_STREAM}: ${cause.message}`,
        cause.details,
      );
    }
    return this.useStream(generation, reason);
  }

  private useStream(generation: number, reason: string | null): Promise<void> {
    return this.use(generation, this.makeStream(this.hostnames), 'stream', reason);
  }

  /** Make `driver` the one carrying traffic: forward its events, start it, say which and why. */
  private async use(
    generation: number,
    driver: TunnelDriver,
    transport: TunnelTransport,
    reason: string | null,
    /** auto's last probe of WireGuard, which listeners have not seen (it was not the path yet). */
    seen?: DriverProbe | null,
  ): Promise<void> {
    if (generation !== this.generation) return;
    const active: Active = { driver, transport, reason };
    if (driver !== this.wireguard) {
      driver.events.on('log', (line) => this.events.emit('log', line));
      driver.events.on('probe', (p) => {
        if (this.active === active) this.events.emit('probe', this.tag(p));
      });
      driver.events.on('exit', (error) => {
        if (this.active === active) this.exited(error);
      });
    }
    this.active = active;
    const name = transport === 'wireguard' ? 'WireGuard' : 'the stream transport';
    const why =
      this.options.transport === 'auto'
        ? `: ${reason ?? 'it connected'}`
        : ' (chosen in the settings)';
    this.log('info', `Using ${name}${why}`);
    try {
      await driver.start();
    } catch (e) {
      if (this.active === active) this.active = null;
      throw e;
    }
    // auto: the choice is news to listeners that saw no probe of the attempt.
    if (this.options.transport === 'auto' && this.active === active) {
      this.events.emit('probe', this.tag(seen ?? (await driver.status())));
    }
  }

  /** explicit stream: the public hostnames for the status view, from the relay, best effort. */
  private learnHostnames(): void {
    this.options.api.status().then(
      (s) => {
        this.hostnames = [
          s.domains.subdomain.domain,
          ...s.domains.custom_domains.map((d) => d.domain),
        ];
      },
      () => {},
    );
  }

  /** The inner driver went away on its own: it has cleaned up; tell the owner. */
  private exited(error: TunnelError): void {
    this.active = null;
    this.lastError = error;
    this.events.emit('exit', error);
  }

  /**
   * Every stop cancels every start asked for before it, even one that waits for an earlier
   * stop; a start asked for after it runs once it is done.
   */
  stop(): Promise<void> {
    this.generation += 1;
    this.grace?.({ kind: 'cancelled' });
    const starting = this.starting;
    this.starting = null;
    const earlier = this.stopping;
    const stopping = (async () => {
      if (earlier) await earlier;
      // A start in progress gives up at its next step; the WireGuard attempt's stop waits for
      // its start, so an interface being made is removed as soon as it exists.
      const attempt = this.wireguard?.stop();
      if (starting) await starting.catch(() => {});
      await attempt;
      const active = this.active;
      this.active = null;
      await active?.driver.stop();
    })().finally(() => {
      if (this.stopping === stopping) this.stopping = null;
    });
    this.stopping = stopping;
    return stopping;
  }

  async status(): Promise<DriverProbe> {
    const active = this.active;
    if (!active) {
      return {
        running: false,
        connected: false,
        hostnames: this.hostnames,
        error: this.lastError,
        details: { transport: null, transport_reason: null },
      };
    }
    const probe = await active.driver.status();
    return this.active === active ? this.tag(probe) : this.status();
  }

  /** An inner probe with the path in use and why, and the hostnames when the driver has none. */
  private tag(probe: DriverProbe): DriverProbe {
    const active = this.active;
    return {
      ...probe,
      hostnames: probe.hostnames.length > 0 ? probe.hostnames : this.hostnames,
      details: {
        ...probe.details,
        transport: active?.transport ?? null,
        transport_reason: this.options.transport === 'auto' ? (active?.reason ?? null) : null,
      },
    };
  }

  checkTarget(): Promise<TunnelError | null> {
    return dialTarget(this.target.host, this.target.port);
  }
}
