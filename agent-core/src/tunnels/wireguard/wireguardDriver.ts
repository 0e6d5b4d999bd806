import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiError } from '../../client/apiError.js';
import type { InstanceApi } from '../../client/instanceClient.js';
import type { DriverEventMap, DriverLogLine, DriverProbe, TunnelDriver } from '../driver.js';
import { TunnelError } from '../tunnelError.js';
import { execaRunner, type RunCommand } from './commandRunner.js';
import { publicKeyOf } from './keys.js';
import { dialTarget, startTcpForwarder, type TcpForwarder } from './tcpForwarder.js';
import { probeTcp, type ProbeOutcome } from './tunnelProbe.js';
import { planFromTunnelConfig, renderSetconf, type TunnelPlan } from './wgConfig.js';
import { WireGuardInterface, type InterfaceMode } from './wireguardInterface.js';

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
}

interface Session {
  plan: TunnelPlan;
  iface: WireGuardInterface;
  forwarder: TcpForwarder;
  runtimeDir: string;
  configFile: string;
  hostnames: string[];
  forwardPort: number;
  heartbeatTimer: NodeJS.Timeout | null;
  probeTimer: NodeJS.Timeout | null;
  lastHeartbeatAt: Date | null;
  heartbeatError: TunnelError | null;
  lastProbe: ProbeOutcome | null;
  targetError: TunnelError | null;
  /** When the interface came up (ms since the epoch): "no handshake after N s" counts from it. */
  startedAt: number;
  /** Whether the relay runs WireGuard itself, once asked (its status's `data_path`); null: unknown. */
  relayRunsWireGuard: Promise<boolean | null> | null;
}

const PROBE_FAST_MS = 1000;
/**
 * How long a fresh interface may go without a handshake before that is an error: wireguard-go
 * sends its first initiation at once and retries every 5 s (REKEY_TIMEOUT), so a reachable
 * relay has answered well within this.
 */
const FIRST_HANDSHAKE_GRACE_MS = 6000;

/**
 * `<prefix><random hex>` within Linux's 15-character limit. Names must be unique machine-wide:
 * wireguard-go's control sockets (/var/run/wireguard/<name>.sock) are shared by all namespaces.
 */
export function uniqueInterfaceName(prefix: string): string {
  const room = Math.min(8, 15 - prefix.length);
  if (room < 3) {
    throw new TunnelError(
      'CONFIG_INVALID',
      `The interface prefix "${prefix}" leaves no room for a unique suffix (max 12 chars)`,
    );
  }
  return `${prefix}${randomBytes(4).toString('hex').slice(0, room)}`;
}

/** `http://localhost:8080` → host and port; the forwarder only needs those. */
export function parseTarget(target: string): { host: string; port: number } {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new TunnelError(
      'CONFIG_INVALID',
      `The target "${target}" is not a URL such as http://localhost:8080`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'tcp:') {
    throw new TunnelError(
      'CONFIG_INVALID',
      `The target must be http://, https:// or tcp://, got ${url.protocol}`,
    );
  }
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  if (!url.port && url.protocol === 'tcp:') {
    throw new TunnelError('CONFIG_INVALID', 'A tcp:// target needs a port');
  }
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
}

/** The API's answer turned into what the supervisor acts on. */
export function tunnelErrorFromApi(e: unknown, relay = 'the relay'): TunnelError {
  if (e instanceof TunnelError) return e;
  if (!(e instanceof ApiError)) return TunnelError.from(e);
  switch (e.code) {
    case 'UNAUTHORIZED':
      return new TunnelError(
        'TOKEN_REVOKED',
        'The relay no longer accepts this instance token: it was regenerated or the instance was deleted. Enter the new instance token to reconnect.',
      );
    case 'NETWORK_ERROR':
    case 'TIMEOUT':
      return new TunnelError('UNREACHABLE', e.message);
    case 'VALIDATION_ERROR':
      return new TunnelError('CONFIG_INVALID', `${relay} refused the registration: ${e.message}`);
    default:
      // Rate limits, 5xx, answers off the contract: the relay is there (the network works) but
      // not usable right now.
      return new TunnelError(
        'RELAY_ERROR',
        `${relay} answered ${e.status || ''} ${e.code}: ${e.message}`.replace(/\s+/g, ' '),
        {
          api_code: e.code,
        },
      );
  }
}

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

  constructor(private readonly options: WireGuardDriverOptions) {
    // Both checks throw CONFIG_INVALID here, before anything is started.
    this.publicKey = publicKeyOf(options.privateKey);
    this.target = parseTarget(options.target);
    if (!options.interfaceName) uniqueInterfaceName(options.interfacePrefix ?? 'ccwg');
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
    this.events.emit('log', { level, message, at: new Date() });
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
    const name = o.interfaceName ?? uniqueInterfaceName(o.interfacePrefix ?? 'ccwg');
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) {
      throw this.remember(
        new TunnelError(
          'CONFIG_INVALID',
          `"${name}" is not an interface name (1–15 letters, digits, _ . -)`,
        ),
      );
    }
    // mkdtemp makes the directory 0700: only this user can even list the config file.
    const runtimeDir = await mkdtemp(
      path.join(o.runtimeDir ?? process.env.XDG_RUNTIME_DIR ?? tmpdir(), 'cloud-connect-wg-'),
    );
    const configFile = path.join(runtimeDir, `${name}.conf`);
    let iface: WireGuardInterface | null = null;
    try {
      await writeFile(configFile, renderSetconf(o.privateKey, plan), { mode: 0o600, flag: 'wx' });
      this.log(
        'info',
        `Bringing up WireGuard interface ${name} (${plan.tunnelIp} → ${plan.endpoint})`,
      );
      iface = await WireGuardInterface.up({
        name,
        mode: o.mode ?? 'auto',
        configFile,
        address: `${plan.tunnelIp}/32`,
        routes: plan.allowedIps,
        run: o.run,
        log: (level, message) => this.log(level, message),
      });
      const session: Partial<Session> = {};
      const forwarder = await startTcpForwarder({
        listenHost: plan.tunnelIp,
        listenPort: forwardPort,
        targetHost: this.target.host,
        targetPort: this.target.port,
        onTargetError: (err) => {
          if (session.targetError?.message !== err.message) this.log('warn', err.message);
          session.targetError = err;
        },
      });
      Object.assign(session, {
        plan,
        iface,
        forwarder,
        runtimeDir,
        configFile,
        hostnames,
        forwardPort,
        heartbeatTimer: null,
        probeTimer: null,
        lastHeartbeatAt: null,
        heartbeatError: null,
        lastProbe: null,
        targetError: null,
        startedAt: Date.now(),
        relayRunsWireGuard: null,
      } satisfies Session);
      this.session = session as Session;
    } catch (e) {
      await iface?.down().catch(() => {});
      await rm(runtimeDir, { recursive: true, force: true });
      throw this.remember(TunnelError.from(e));
    }
    const active = this.session;
    iface.onUnexpectedExit((info, output) => {
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
    session.heartbeatTimer = setTimeout(() => void this.heartbeat(session), ms);
    session.heartbeatTimer.unref?.();
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
      session.lastHeartbeatAt = new Date();
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
      await (this.options.run ?? execaRunner)('wg', [
        'setconf',
        session.iface.name,
        session.configFile,
      ]);
      this.log('info', 'Reloaded the WireGuard peer to handshake with the relay again');
    } catch (e) {
      this.log('warn', `Could not reload the WireGuard peer: ${TunnelError.from(e).message}`);
    }
  }

  private scheduleProbe(session: Session, ms: number) {
    if (this.session !== session) return;
    session.probeTimer = setTimeout(() => {
      void this.status().then((probe) => {
        if (this.session !== session) return;
        this.scheduleProbe(
          session,
          probe.connected ? (this.options.probeIntervalMs ?? 10_000) : PROBE_FAST_MS,
        );
      });
    }, ms);
    session.probeTimer.unref?.();
  }

  /** Probe now: the relay through the tunnel (TCP), plus handshake and bytes from `wg show`. */
  async status(): Promise<DriverProbe> {
    const session = this.session;
    if (!session) {
      return { running: false, connected: false, hostnames: [], error: this.lastError };
    }
    const o = this.options;
    const [probe, peers] = await Promise.all([
      probeTcp(session.plan.serverIp, o.probePort ?? 9, o.probeTimeoutMs ?? 3000),
      session.iface.peers().catch(() => []),
    ]);
    if (this.session !== session) return this.status();
    session.lastProbe = probe;
    const server = peers.find((p) => p.publicKey === session.plan.serverPublicKey);
    const nowS = Math.floor(Date.now() / 1000);
    // A failing heartbeat names the network problem; when the API answers, the tunnel is the cause.
    const error = probe.reachable
      ? null
      : (session.heartbeatError ??
        (await this.dataPathError(session, server?.latestHandshake ?? 0)));
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

  /**
   * Why nothing comes back through the tunnel while the relay's API answers (so the internet
   * works): the relay runs without WireGuard, or no handshake reaches it (UDP blocked on the
   * way). Null during the first seconds of a fresh interface, which is still connecting.
   */
  private async dataPathError(
    session: Session,
    latestHandshake: number,
  ): Promise<TunnelError | null> {
    const now = Date.now();
    const endpoint = session.plan.endpoint;
    if (latestHandshake === 0 && now - session.startedAt < FIRST_HANDSHAKE_GRACE_MS) return null;
    session.relayRunsWireGuard ??= this.options.api
      .status()
      .then((s) => (s.data_path ? s.data_path.checked_by_relay : null))
      .catch(() => null);
    if (latestHandshake === 0 && (await session.relayRunsWireGuard) === false) {
      return new TunnelError(
        'RELAY_WITHOUT_WIREGUARD',
        `This relay runs without WireGuard (WG_MODE=off): nothing answered the handshakes sent to ${endpoint}. Ask its operator to enable WireGuard on it (WG_MODE=wireguard-go or kernel) or to run WireGuard for it.`,
        { endpoint },
      );
    }
    if (latestHandshake === 0) {
      const waited = Math.round((now - session.startedAt) / 1000);
      return new TunnelError(
        'NO_HANDSHAKE',
        `No WireGuard handshake from the relay after ${waited} s (UDP to ${endpoint} blocked?). The relay's API answers, so the internet connection works; a firewall on the way may drop UDP.`,
        { endpoint, waited_seconds: waited },
      );
    }
    const age = Math.max(0, Math.round(now / 1000 - latestHandshake));
    return new TunnelError(
      'NO_HANDSHAKE',
      `No answer from the relay through the tunnel; the last WireGuard handshake was ${age} s ago (UDP to ${endpoint} blocked?). Waiting for WireGuard to reconnect.`,
      { endpoint, handshake_age_seconds: age },
    );
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
    if (s.heartbeatTimer) clearTimeout(s.heartbeatTimer);
    if (s.probeTimer) clearTimeout(s.probeTimer);
    if (tellRelay) {
      // Best effort and short: a relay that cannot be reached must not hold up a stop.
      await Promise.race([
        this.options.api.disconnect().catch(() => {}),
        new Promise((r) => setTimeout(r, 2000).unref?.()),
      ]);
    }
    await s.forwarder.close().catch(() => {});
    await s.iface
      .down()
      .catch((e: Error) => this.log('warn', `Removing ${s.iface.name}: ${e.message}`));
    await rm(s.runtimeDir, { recursive: true, force: true });
    this.log('info', `WireGuard interface ${s.iface.name} removed`);
  }
}
