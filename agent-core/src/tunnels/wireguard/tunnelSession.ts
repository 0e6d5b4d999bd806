import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Clock, TimerHandle, Timers } from '../../time/clock.js';
import type { RunCommand } from '../../wireguard/index.js';
import type { DriverLogLine } from '../driver.js';
import type { TunnelError } from '../tunnelError.js';
import { startTcpForwarder, type TcpForwarder } from './tcpForwarder.js';
import type { ProbeOutcome } from './tunnelProbe.js';
import { renderSetconf, type TunnelPlan } from './wgConfig.js';
import { WireGuardInterface, type InterfaceMode } from './wireguardInterface.js';

/** One run of the WireGuard tunnel: what was brought up, and what the driver learnt since. */
export interface Session {
  plan: TunnelPlan;
  iface: WireGuardInterface;
  forwarder: TcpForwarder;
  runtimeDir: string;
  configFile: string;
  hostnames: string[];
  forwardPort: number;
  heartbeatTimer: TimerHandle | null;
  probeTimer: TimerHandle | null;
  lastHeartbeatAt: Date | null;
  heartbeatError: TunnelError | null;
  lastProbe: ProbeOutcome | null;
  targetError: TunnelError | null;
  /** When the interface came up (ms since the epoch): "no handshake after N s" counts from it. */
  startedAt: number;
  /** Whether the relay runs WireGuard itself, once asked (its status's `data_path`); null: unknown. */
  relayRunsWireGuard: Promise<boolean | null> | null;
}

type Log = (level: DriverLogLine['level'], message: string) => void;

export interface OpenSessionOptions {
  name: string;
  plan: TunnelPlan;
  hostnames: string[];
  forwardPort: number;
  privateKey: string;
  target: { host: string; port: number };
  mode: InterfaceMode;
  /** Where the private runtime dir goes; default $XDG_RUNTIME_DIR or tmp. */
  runtimeDir?: string | undefined;
  run: RunCommand;
  log: Log;
  clock: Clock;
  timers: Timers;
}

/**
 * Write the config file (0600, in a fresh 0700 dir), bring the interface up and start the
 * forwarder from `<tunnel ip>:<port>` to the target. On failure whatever was made is removed
 * before the error is thrown.
 */
export async function openSession(o: OpenSessionOptions): Promise<Session> {
  const { name, plan } = o;
  // mkdtemp makes the directory 0700: only this user can even list the config file.
  const runtimeDir = await mkdtemp(
    path.join(o.runtimeDir ?? process.env.XDG_RUNTIME_DIR ?? tmpdir(), 'cloud-connect-wg-'),
  );
  const configFile = path.join(runtimeDir, `${name}.conf`);
  let iface: WireGuardInterface | null = null;
  try {
    await writeFile(configFile, renderSetconf(o.privateKey, plan), { mode: 0o600, flag: 'wx' });
    o.log('info', `Bringing up WireGuard interface ${name} (${plan.tunnelIp} → ${plan.endpoint})`);
    iface = await WireGuardInterface.up({
      name,
      mode: o.mode,
      configFile,
      address: `${plan.tunnelIp}/32`,
      routes: plan.allowedIps,
      run: o.run,
      log: o.log,
      clock: o.clock,
      timers: o.timers,
    });
    const session: Partial<Session> = {};
    const forwarder = await startTcpForwarder({
      listenHost: plan.tunnelIp,
      listenPort: o.forwardPort,
      targetHost: o.target.host,
      targetPort: o.target.port,
      onTargetError: (err) => {
        if (session.targetError?.message !== err.message) o.log('warn', err.message);
        session.targetError = err;
      },
    });
    return Object.assign(session, {
      plan,
      iface,
      forwarder,
      runtimeDir,
      configFile,
      hostnames: o.hostnames,
      forwardPort: o.forwardPort,
      heartbeatTimer: null,
      probeTimer: null,
      lastHeartbeatAt: null,
      heartbeatError: null,
      lastProbe: null,
      targetError: null,
      startedAt: o.clock.now().getTime(),
      relayRunsWireGuard: null,
    } satisfies Session);
  } catch (e) {
    await iface?.down().catch(() => {});
    await rm(runtimeDir, { recursive: true, force: true });
    throw e;
  }
}

/** Forwarder, interface (and wireguard-go), config file: all gone when this resolves. */
export async function closeSession(s: Session, log: Log): Promise<void> {
  await s.forwarder.close().catch(() => {});
  await s.iface.down().catch((e: Error) => log('warn', `Removing ${s.iface.name}: ${e.message}`));
  await rm(s.runtimeDir, { recursive: true, force: true });
}
