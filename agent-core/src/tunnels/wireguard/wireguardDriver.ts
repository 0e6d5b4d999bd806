import { EventEmitter } from 'node:events';
import { ApiError } from '../../client/apiError.js';
import type { InstanceApi } from '../../client/instanceClient.js';
import { systemClock, systemTimers, type Clock, type Timers } from '../../time/clock.js';
import { publicKeyOf, type RunCommand } from '../../wireguard/index.js';
import type { DriverEventMap, DriverLogLine, DriverProbe, TunnelDriver } from '../driver.js';
import { TunnelError } from '../tunnelError.js';
import { agentRunner, tunnelErrorFromWireGuard } from './agentWireGuard.js';
import { tunnelErrorFromApi } from './apiFailure.js';
import { diagnoseDataPath } from './dataPathDiagnosis.js';
import { interfaceNamer } from './interfaceName.js';
import { parseTarget } from './target.js';
import { dialTarget } from './tcpForwarder.js';
import { closeSession, openSession, type Session } from './tunnelSession.js';
import { probeTcp, type ProbeOutcome } from './tunnelProbe.js';
import { planFromTunnelConfig } from './wgConfig.js';
import type { InterfaceMode } from './wireguardInterface.js';

export interface WireGuardDriverOptions {
  /** The tunnel endpoints with this instance's token (`new InstanceClient({ baseUrl }, token)`). */
  api: InstanceApi;
  /** Base64 private key from the SecretStore; it only ever goes into a 0600 config file. */
  privateKey: string;
  /** The Docker app, e.g. `http://localhost:8080` (host and port are what count: it is TCP). */
  target: string;
  /** Port the forwarder listens on at the tunnel IP and that is registered; default the target's. */
  forwardPort?: number;
  /** Fixed interface name (max 15 chars); by default a fresh `<prefix><random>` per start. */
  interfaceName?: string;
  interfacePrefix?: string;
  mode?: InterfaceMode;
  /** Where the private runtime dir (0700) with the config file goes; default $XDG_RUNTIME_DIR or tmp. */
  runtimeDir?: string;
  /** TCP port probed on the relay's tunnel IP; an answer or a refusal both prove the path. */
  probePort?: number;
  probeTimeoutMs?: number;
  /** Probe period once connected (it is faster until the first success). */
  probeIntervalMs?: number;
  /** Upper bound on the wait between heartbeats (the relay says `next_heartbeat_in`). */
  heartbeatIntervalCapMs?: number;
  /** Retry delay after a failed heartbeat. */
  heartbeatRetryMs?: number;
  /** Tell the relay on stop (POST /tunnel/disconnect); default true. */
  disconnectOnStop?: boolean;
  run?: RunCommand;
  /** How the relay is probed through the tunnel; a TCP connect (`probeTcp`) by default. */
  probe?: (host: string, port: number, timeoutMs: number) => Promise<ProbeOutcome>;
  /** Time for the probe and heartbeat schedule and the handshake grace; the system's by default. */
  clock?: Clock;
  timers?: Timers;
}

const PROBE_FAST_MS = 1000;

/**
 * The WireGuard tunnel to our relay: registers the locally generated public key, brings up an
 * interface (wireguard-go as a tracked child, or the kernel), forwards `<tunnel ip>:<port>` to
 * the Docker app, heartbeats on the relay's schedule and probes the relay through the tunnel.
 */
export class WireGuardDriver implements TunnelDriver {
  readonly kind = 'wireguard' as const;
  readonly events = new EventEmitter<DriverEventMap>();
  private session: Session | null = null;
  private starting: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private lastError: TunnelError | null = null;
  private lastEmitted: string | null = null;
  private readonly publicKey: string;
  private readonly target: { host: string; port: number };
  /** The interface name for the next start (a fresh unique one unless a name is fixed). */
  private readonly nextInterfaceName: () => string;
  private readonly run: RunCommand;
  private readonly clock: Clock;
  private readonly timers: Timers;

  constructor(private readonly options: WireGuardDriverOptions) {
    // Key, target and prefix throw CONFIG_INVALID here, before anything is started.
    try {
      this.publicKey = publicKeyOf(options.privateKey);
    } catch (e) {
      throw tunnelErrorFromWireGuard(e);
    }
    this.target = parseTarget(options.target);
    this.nextInterfaceName = interfaceNamer(options);
    this.run = options.run ?? agentRunner;
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
  }

  /** The public half of the key, as registered with the relay. */
  get registeredPublicKey(): string {
    return this.publicKey;
  }

  /** The interface name and tunnel IP while running (tests and the status view read them). */
  get tunnel(): {
    interfaceName: string;
    tunnelIp: string;
    serverIp: string;
    pid: number | undefined;
  } | null {
    const s = this.session;
    return s
      ? {
          interfaceName: s.iface.name,
          tunnelIp: s.plan.tunnelIp,
          serverIp: s.plan.serverIp,
          pid: s.iface.pid,
        }
      : null;
  }

  private log(level: DriverLogLine['level'], message: string) {
    this.events.emit('log', { level, message, at: this.clock.now() });
  }

  start(): Promise<void> {
    if (this.session) return Promise.resolve();
    this.starting ??= this.doStart().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private async doStart(): Promise<void> {
    if (this.stopping) await this.stopping;
    const o = this.options;
    const forwardPort = o.forwardPort ?? this.target.port;
    this.lastError = null;
    this.lastEmitted = null;
    this.log('info', 'Registering the tunnel with the relay');
    let registration;
    try {
      registration = await o.api.registerTunnel({
        public_key: this.publicKey,
        target_port: forwardPort,
      });
    } catch (e) {
      throw this.remember(tunnelErrorFromApi(e));
    }
    const plan = planFromTunnelConfig(registration.tunnel_config);
    const hostnames = [registration.domains.subdomain, ...registration.domains.custom_domains];
    let name: string;
    try {
      name = this.nextInterfaceName();
    } catch (e) {
      throw this.remember(TunnelError.from(e));
    }
    try {
      this.session = await openSession({
        name,
        plan,
        hostnames,
        forwardPort,
        privateKey: o.privateKey,
        target: this.target,
        mode: o.mode ?? 'auto',
        runtimeDir: o.runtimeDir,
        run: this.run,
        log: (level, message) => this.log(level, message),
        clock: this.clock,
        timers: this.timers,
      });
    } catch (e) {
      throw this.remember(TunnelError.from(e));
    }
    const active = this.session;
    active.iface.onUnexpectedExit((info, output) => {
      if (this.session !== active) return;
      void this.fail(
        new TunnelError(
          'PROCESS_EXITED',
          `wireguard-go exited (${info.signal ?? `exit ${info.exitCode}`})${output ? `: ${output.split('\n').at(-1)}` : ''}`,
        ),
      );
    });
    this.log(
      'info',
      `Forwarding ${plan.tunnelIp}:${forwardPort} to ${this.target.host}:${this.target.port}`,
    );
    void this.heartbeat(active);
    this.scheduleProbe(active, 0);
  }

  private remember(error: TunnelError): TunnelError {
    this.lastError = error;
    return error;
  }

  private scheduleHeartbeat(session: Session, ms: number) {
    if (this.session !== session) return;
    session.heartbeatTimer = this.timers.setTimeout(() => void this.heartbeat(session), ms);
    session.heartbeatTimer.unref();
  }

  private async heartbeat(session: Session): Promise<void> {
    const o = this.options;
    try {
      const answer = await o.api.heartbeat();
      if (this.session !== session) return;
      if (session.heartbeatError) {
        this.log('info', 'Heartbeats reach the relay again');
        if (session.lastProbe && !session.lastProbe.reachable) await this.rehandshake(session);
      }
      session.lastHeartbeatAt = this.clock.now();
      session.heartbeatError = null;
      const next = Math.max(1, answer.next_heartbeat_in) * 1000;
      this.scheduleHeartbeat(session, Math.min(next, o.heartbeatIntervalCapMs ?? next));
    } catch (e) {
      if (this.session !== session) return;
      const err = tunnelErrorFromApi(e);
      if (err.code === 'TOKEN_REVOKED') {
        await this.fail(err);
        return;
      }
      if (e instanceof ApiError && e.code === 'TUNNEL_NOT_REGISTERED') {
        // The relay lost the registration (e.g. restored from an old backup): register again.
        try {
          await o.api.registerTunnel({
            public_key: this.publicKey,
            target_port: session.forwardPort,
          });
          this.log('warn', 'The relay had no registration for this tunnel; registered again');
        } catch (again) {
          const againErr = tunnelErrorFromApi(again);
          if (againErr.code === 'TOKEN_REVOKED') return void (await this.fail(againErr));
        }
      }
      if (session.heartbeatError?.message !== err.message) {
        this.log('warn', `Heartbeat failed: ${err.message}`);
      }
      session.heartbeatError = err;
      this.scheduleHeartbeat(session, o.heartbeatRetryMs ?? 5000);
    }
  }

  /**
   * The relay answers again but the tunnel does not (it restarted and lost our session, or the
   * network was cut): reloading the config drops the stale session, so the next packet starts
   * a handshake at once instead of after WireGuard's own 15 s rekey timeout.
   */
  private async rehandshake(session: Session): Promise<void> {
    try {
      await this.run('wg', ['setconf', session.iface.name, session.configFile]);
      this.log('info', 'Reloaded the WireGuard peer to handshake with the relay again');
    } catch (e) {
      this.log(
        'warn',
        `Could not reload the WireGuard peer: ${tunnelErrorFromWireGuard(e).message}`,
      );
    }
  }

  private scheduleProbe(session: Session, ms: number) {
    if (this.session !== session) return;
    session.probeTimer = this.timers.setTimeout(() => {
      void this.status().then((probe) => {
        if (this.session !== session) return;
        this.scheduleProbe(
          session,
          probe.connected ? (this.options.probeIntervalMs ?? 10_000) : PROBE_FAST_MS,
        );
      });
    }, ms);
    session.probeTimer.unref();
  }

  /** Probe now: the relay through the tunnel (TCP), plus handshake and bytes from `wg show`. */
  async status(): Promise<DriverProbe> {
    const session = this.session;
    if (!session) {
      return { running: false, connected: false, hostnames: [], error: this.lastError };
    }
    const o = this.options;
    const [probe, peers] = await Promise.all([
      (o.probe ?? probeTcp)(session.plan.serverIp, o.probePort ?? 9, o.probeTimeoutMs ?? 3000),
      session.iface.peers().catch(() => []),
    ]);
    if (this.session !== session) return this.status();
    session.lastProbe = probe;
    const server = peers.find((p) => p.publicKey === session.plan.serverPublicKey);
    const nowS = Math.floor(this.clock.now().getTime() / 1000);
    // A failing heartbeat names the network problem; when the API answers, the tunnel is the cause.
    const error = probe.reachable
      ? null
      : (session.heartbeatError ??
        (await diagnoseDataPath({
          now: this.clock.now().getTime(),
          startedAt: session.startedAt,
          latestHandshake: server?.latestHandshake ?? 0,
          endpoint: session.plan.endpoint,
          relayRunsWireGuard: () => this.relayRunsWireGuard(session),
        })));
    if (this.session !== session) return this.status();
    const result: DriverProbe = {
      running: session.iface.running,
      connected: probe.reachable && session.iface.running,
      hostnames: session.hostnames,
      error,
      details: {
        interface: session.iface.name,
        tunnel_ip: session.plan.tunnelIp,
        server_ip: session.plan.serverIp,
        endpoint: server?.endpoint ?? session.plan.endpoint,
        latest_handshake: server?.latestHandshake ?? 0,
        handshake_age_seconds:
          server && server.latestHandshake > 0 ? nowS - server.latestHandshake : null,
        rx_bytes: server?.rxBytes ?? 0,
        tx_bytes: server?.txBytes ?? 0,
        probe_result: probe.result,
        probe_ms: probe.latencyMs,
        last_heartbeat: session.lastHeartbeatAt?.toISOString() ?? null,
        heartbeat_error: session.heartbeatError?.message ?? null,
        target: `${this.target.host}:${this.target.port}`,
        target_error: session.targetError?.message ?? null,
        forwarder_connections: session.forwarder.connections,
      },
    };
    const key = `${result.connected}|${result.error?.code ?? ''}`;
    if (key !== this.lastEmitted) {
      this.lastEmitted = key;
      this.events.emit('probe', result);
    }
    return result;
  }

  /** Whether the relay runs WireGuard itself (its status's `data_path`), asked once per session. */
  private relayRunsWireGuard(session: Session): Promise<boolean | null> {
    session.relayRunsWireGuard ??= this.options.api
      .status()
      .then((s) => (s.data_path ? s.data_path.checked_by_relay : null))
      .catch(() => null);
    return session.relayRunsWireGuard;
  }

  /** Dial the target once (a connectivity test of the running tunnel): null when the app accepts. */
  checkTarget(): Promise<TunnelError | null> {
    return dialTarget(this.target.host, this.target.port);
  }

  /** The tunnel died on its own: clean up everything, then tell the owner why. */
  private async fail(error: TunnelError): Promise<void> {
    if (!this.session) return;
    this.remember(error);
    this.log('error', error.message);
    await this.teardown(false);
    this.events.emit('exit', error);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.starting) await this.starting.catch(() => {});
      await this.teardown(this.options.disconnectOnStop !== false);
    })().finally(() => {
      this.stopping = null;
    });
    return this.stopping;
  }

  /** Forwarder, timers, interface (and wireguard-go), config file: all gone when this resolves. */
  private async teardown(tellRelay: boolean): Promise<void> {
    const s = this.session;
    if (!s) return;
    this.session = null;
    this.timers.clearTimeout(s.heartbeatTimer);
    this.timers.clearTimeout(s.probeTimer);
    if (tellRelay) {
      // Best effort and short: a relay that cannot be reached must not hold up a stop.
      let timeUp = () => {};
      const limit = this.timers.setTimeout(() => timeUp(), 2000);
      limit.unref();
      await Promise.race([
        this.options.api.disconnect().catch(() => {}),
        new Promise<void>((r) => (timeUp = r)),
      ]);
      this.timers.clearTimeout(limit);
    }
    await closeSession(s, (level, message) => this.log(level, message));
    this.log('info', `WireGuard interface ${s.iface.name} removed`);
  }
}
