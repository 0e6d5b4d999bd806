import { execa } from 'execa';
import { TunnelError } from '../tunnelError.js';
import { execaRunner, missingBinary, type RunCommand } from './commandRunner.js';
import { parseWgPeers, type WgPeerDump } from './wgDump.js';
import { createLineSplitter, isWireGuardGoBanner } from './wireguardGoOutput.js';

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
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type DaemonExit = { exitCode: number | null; signal: string | null; spawnError: string | null };

/** A WireGuard interface this process brought up, and (in userspace mode) its wireguard-go. */
export class WireGuardInterface {
  private daemon: ReturnType<typeof execa> | null = null;
  private daemonExit: Promise<DaemonExit> | null = null;
  private daemonRunning = false;
  private readonly daemonLines: string[] = [];
  private exitListener: ((info: DaemonExit, output: string) => void) | null = null;
  private downing = false;
  private kernelLink = false;
  private readonly run: RunCommand;

  private constructor(
    private readonly spec: InterfaceSpec,
    readonly mode: 'wireguard-go' | 'kernel',
  ) {
    this.run = spec.run ?? execaRunner;
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
    return this.mode === 'kernel' ? this.kernelLink && !this.downing : this.daemonRunning;
  }

  /** Called once if wireguard-go exits without `down()` asking it to. */
  onUnexpectedExit(listener: (info: DaemonExit, output: string) => void): void {
    this.exitListener = listener;
  }

  /**
   * Create the interface, load the config with `wg setconf`, add the address, bring it up and
   * add the routes. On failure everything made so far is undone before the error is thrown.
   */
  static async up(spec: InterfaceSpec): Promise<WireGuardInterface> {
    const run = spec.run ?? execaRunner;
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
      throw TunnelError.from(e);
    }
    return iface;
  }

  private async createKernelLink() {
    try {
      await this.run('ip', ['link', 'add', this.spec.name, 'type', 'wireguard']);
      this.kernelLink = true;
    } catch (e) {
      if (e instanceof TunnelError && /unknown device type|not supported/i.test(e.message)) {
        throw new TunnelError(
          'BINARY_MISSING',
          'The WireGuard kernel module is not loaded (modprobe wireguard); or use the wireguard-go mode',
        );
      }
      throw e;
    }
  }

  private async socketAnswers(): Promise<boolean> {
    try {
      await this.run('wg', ['show', this.spec.name, 'listen-port']);
      return true;
    } catch (e) {
      if (e instanceof TunnelError && e.code === 'INTERNAL') return false;
      throw e;
    }
  }

  private async startWireGuardGo() {
    const name = this.spec.name;
    // wireguard-go control sockets are shared by all namespaces: never reuse a live name.
    if (await this.socketAnswers()) {
      throw new TunnelError(
        'INTERNAL',
        `A WireGuard interface named ${name} already exists on this machine; another name is needed`,
      );
    }
    const sub = execa('wireguard-go', ['-f', name], {
      reject: false,
      buffer: false,
      stdin: 'ignore',
      cleanup: true,
      extendEnv: false,
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LOG_LEVEL: 'error' },
    });
    this.daemon = sub;
    this.daemonRunning = true;
    const onLine = (line: string) => {
      if (!line.trim()) return;
      if (isWireGuardGoBanner(line)) {
        this.spec.log?.('debug', `wireguard-go: ${line}`);
        return;
      }
      this.daemonLines.push(line);
      if (this.daemonLines.length > 40) this.daemonLines.shift();
      this.spec.log?.('warn', `wireguard-go: ${line}`);
    };
    // One splitter per stream: a line cut across two reads is classified whole.
    for (const stream of [sub.stdout, sub.stderr]) {
      const split = createLineSplitter();
      stream?.on('data', (chunk: Buffer) => split.push(chunk).forEach(onLine));
      stream?.on('end', () => split.flush().forEach(onLine));
    }
    this.daemonExit = sub.then((r) => {
      this.daemonRunning = false;
      const info: DaemonExit = {
        exitCode: r.exitCode ?? null,
        signal: r.signal ?? null,
        spawnError:
          r.failed && r.exitCode === undefined && !r.signal
            ? ((r as { code?: string }).code ?? 'spawn failed')
            : null,
      };
      if (!this.downing) this.exitListener?.(info, this.daemonLines.join('\n'));
      return info;
    });
    const deadline = Date.now() + (this.spec.readyTimeoutMs ?? 10_000);
    for (;;) {
      if (!this.daemonRunning) {
        const info = await this.daemonExit;
        if (info.spawnError === 'ENOENT') throw missingBinary('wireguard-go');
        const out = this.daemonLines.join('\n');
        const denied = /not permitted|permission denied/i.test(out);
        throw new TunnelError(
          denied ? 'PERMISSION_DENIED' : 'PROCESS_EXITED',
          `wireguard-go -f ${name} exited (${info.spawnError ?? info.signal ?? `exit ${info.exitCode}`}): ${out || 'no output'}${denied ? '; the WireGuard tunnel needs root or CAP_NET_ADMIN and /dev/net/tun' : ''}`,
        );
      }
      if (await this.socketAnswers()) return;
      if (Date.now() > deadline) {
        throw new TunnelError(
          'TIMEOUT',
          `wireguard-go -f ${name} did not open its control socket in time`,
        );
      }
      await sleep(50);
    }
  }

  /** The peers as `wg show <if> dump` reports them (handshake, endpoint, bytes). */
  async peers(): Promise<WgPeerDump[]> {
    return parseWgPeers((await this.run('wg', ['show', this.spec.name, 'dump'])).stdout);
  }

  /**
   * Remove the interface: stop wireguard-go (SIGTERM, SIGKILL after 5 s; the TUN device and its
   * routes go with it) or delete the kernel link. Idempotent.
   */
  async down(): Promise<void> {
    this.downing = true;
    if (this.daemon && this.daemonRunning) {
      this.daemon.kill('SIGTERM');
      const force = setTimeout(() => this.daemonRunning && this.daemon?.kill('SIGKILL'), 5000);
      await this.daemonExit;
      clearTimeout(force);
    }
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
