import type { Clock, Timers } from '../../time/clock.js';
import {
  parseWgDump,
  WireGuardError,
  type DumpPeer,
  type RunCommand,
  type WireGuardDaemon,
  type WireGuardGoExit,
} from '../../wireguard/index.js';
import { agentRunner, startAgentWireGuardGo, tunnelErrorFromWireGuard } from './agentWireGuard.js';

/**
 * How the interface runs: userspace `wireguard-go` (a tracked child of this process), the
 * kernel module (`ip link add … type wireguard`), or `auto` (kernel when the module is there).
 * wg-quick is not used: without the module it daemonises wireguard-go, which nobody would track.
 */
export type InterfaceMode = 'auto' | 'wireguard-go' | 'kernel';

export interface InterfaceSpec {
  name: string;
  mode: InterfaceMode;
  /** The `wg setconf` file (mode 0600; it holds the private key). */
  configFile: string;
  /** This agent's address with its prefix, e.g. `10.100.0.2/32`. */
  address: string;
  /** Destinations routed into the tunnel, e.g. the relay's tunnel IP `/32`. */
  routes: string[];
  run?: RunCommand;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
  readyTimeoutMs?: number;
  /** For the wait on wireguard-go's control socket. */
  clock?: Clock;
  timers?: Timers;
}

/** A WireGuard interface this process brought up, and (in userspace mode) its wireguard-go. */
export class WireGuardInterface {
  private daemon: WireGuardDaemon | null = null;
  private exitListener: ((info: WireGuardGoExit, output: string) => void) | null = null;
  private downing = false;
  private kernelLink = false;
  private readonly run: RunCommand;

  private constructor(
    private readonly spec: InterfaceSpec,
    readonly mode: 'wireguard-go' | 'kernel',
  ) {
    this.run = spec.run ?? agentRunner;
  }

  get name(): string {
    return this.spec.name;
  }

  /** The wireguard-go process id (userspace mode). */
  get pid(): number | undefined {
    return this.daemon?.pid;
  }

  /** True while the interface exists (wireguard-go still running, or the kernel link made). */
  get running(): boolean {
    return this.mode === 'kernel' ? this.kernelLink && !this.downing : !!this.daemon?.running;
  }

  /** Called once if wireguard-go exits without `down()` asking it to. */
  onUnexpectedExit(listener: (info: WireGuardGoExit, output: string) => void): void {
    this.exitListener = listener;
  }

  /**
   * Create the interface, load the config with `wg setconf`, add the address, bring it up and
   * add the routes. On failure everything made so far is undone before the error (a
   * TunnelError) is thrown.
   */
  static async up(spec: InterfaceSpec): Promise<WireGuardInterface> {
    const run = spec.run ?? agentRunner;
    let mode: 'wireguard-go' | 'kernel' = spec.mode === 'kernel' ? 'kernel' : 'wireguard-go';
    if (spec.mode === 'auto') {
      mode = (await kernelAvailable(run, spec.name)) ? 'kernel' : 'wireguard-go';
    }
    const iface = new WireGuardInterface(spec, mode);
    try {
      if (mode === 'kernel') await iface.createKernelLink();
      else await iface.startWireGuardGo();
      await run('wg', ['setconf', spec.name, spec.configFile]);
      await run('ip', ['address', 'add', spec.address, 'dev', spec.name]);
      await run('ip', ['link', 'set', spec.name, 'up']);
      for (const route of spec.routes) {
        await run('ip', ['route', 'replace', route, 'dev', spec.name]);
      }
    } catch (e) {
      await iface.down().catch(() => {});
      throw tunnelErrorFromWireGuard(e);
    }
    return iface;
  }

  private async createKernelLink() {
    try {
      await this.run('ip', ['link', 'add', this.spec.name, 'type', 'wireguard']);
      this.kernelLink = true;
    } catch (e) {
      if (e instanceof WireGuardError && /unknown device type|not supported/i.test(e.message)) {
        throw new WireGuardError(
          'BINARY_MISSING',
          'The WireGuard kernel module is not loaded (modprobe wireguard); or use the wireguard-go mode',
        );
      }
      throw e;
    }
  }

  private async startWireGuardGo() {
    const daemon = await startAgentWireGuardGo({
      name: this.spec.name,
      run: this.run,
      // With LOG_LEVEL=error, whatever wireguard-go prints besides its banner is a problem.
      log: (level, line) =>
        this.spec.log?.(level === 'debug' ? 'debug' : 'warn', `wireguard-go: ${line}`),
      readyTimeoutMs: this.spec.readyTimeoutMs,
      clock: this.spec.clock,
      timers: this.spec.timers,
    });
    this.daemon = daemon;
    void daemon.exited.then((info) => {
      if (!this.downing) this.exitListener?.(info, daemon.tail());
    });
  }

  /** The peers as `wg show <if> dump` reports them (handshake, endpoint, bytes). */
  async peers(): Promise<DumpPeer[]> {
    return parseWgDump((await this.run('wg', ['show', this.spec.name, 'dump'])).stdout).peers;
  }

  /**
   * Remove the interface: stop wireguard-go (SIGTERM, SIGKILL after 5 s; the TUN device and its
   * routes go with it) or delete the kernel link. Idempotent.
   */
  async down(): Promise<void> {
    this.downing = true;
    await this.daemon?.stop();
    if (this.kernelLink) {
      this.kernelLink = false;
      await this.run('ip', ['link', 'del', this.spec.name]);
    }
  }
}

/** Whether the kernel can make WireGuard links: try one and remove it. */
async function kernelAvailable(run: RunCommand, name: string): Promise<boolean> {
  try {
    await run('ip', ['link', 'add', name, 'type', 'wireguard']);
  } catch {
    return false;
  }
  await run('ip', ['link', 'del', name]).catch(() => {});
  return true;
}
