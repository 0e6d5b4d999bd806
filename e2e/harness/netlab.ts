import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  installExitHandlers,
  MARKER_DIR,
  nsPids,
  openLabs,
  run,
  sweepStaleLabs,
  teardownSync,
  type LabMarker,
} from './labCleanup.js';
import { LabProcess } from './labProcess.js';

export { sweepStaleLabs } from './labCleanup.js';
export { LabProcess } from './labProcess.js';

/**
 * A network lab for end-to-end tests: named network namespaces ("cloud", "home", …) joined by
 * veth pairs to one Linux bridge in the root namespace, which also gets an address so the test
 * process can reach every host over HTTP. Every name carries the caller's tag and a random
 * suffix, so parallel runs never collide; `close()` (and process-exit / signal handlers, and a
 * sweep of labs whose owner died) removes every process, interface and namespace it made.
 *
 * wireguard-go safety: processes in a namespace are always stopped (SIGTERM, wait, SIGKILL
 * after a timeout) before the namespace goes, and a WireGuard control socket is only removed
 * once no process of the lab is left.
 */

export interface NetLabOptions {
  /** Short tag that starts every name (letters/digits, at most 4 chars), e.g. "hG". */
  tag: string;
  /** Host names, e.g. ["cloud", "home-a", "home-b", "internet"]. */
  hosts: string[];
  /** How long `close()` waits after SIGTERM before SIGKILL. */
  killTimeoutMs?: number;
}

export interface LabHost {
  name: string;
  /** The network namespace's name (`ip netns exec <ns> …`). */
  ns: string;
  /** The host's address on the lab bridge. */
  ip: string;
  /** The interface inside the namespace (always eth0). */
  dev: string;
  /** The root-namespace end of the host's veth pair (what linkDown cuts). */
  rootDev: string;
}

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Prefix for the lines echoed to the test's stderr when CC_LAB_VERBOSE=1. */
  label?: string;
}

export interface ExecOptions extends SpawnOptions {
  input?: string;
  timeoutMs?: number;
  /** Throw on a non-zero exit (default true). */
  reject?: boolean;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

/** Pick a /24 in 172.16.0.0/12 that no route of the root namespace covers yet. */
function freeSubnet(): string {
  const routes = run('ip', ['-4', 'route', 'show']);
  for (let i = 0; i < 50; i++) {
    const b = randomBytes(2);
    const net = `172.${16 + ((b[0] as number) % 16)}.${b[1] as number}`;
    if (!routes.includes(`${net}.`)) return net;
  }
  throw new Error('netlab: no free 172.16.0.0/12 subnet for the lab bridge');
}

export class NetLab {
  readonly prefix: string;
  readonly bridge: string;
  /** The root namespace's address on the bridge (where the test process talks from). */
  readonly rootIp: string;
  readonly subnet: string;
  readonly hosts: Record<string, LabHost> = {};
  private readonly processes = new Set<LabProcess>();
  private readonly marker: LabMarker;
  private readonly killTimeoutMs: number;
  private closed = false;
  private nameCounter = 0;

  private constructor(options: NetLabOptions) {
    if (!/^[A-Za-z][A-Za-z0-9]{0,3}$/.test(options.tag)) {
      throw new Error('netlab: tag must be 1–4 letters or digits, starting with a letter');
    }
    this.prefix = `${options.tag}${randomBytes(3).toString('hex').slice(0, 4)}`;
    this.bridge = `${this.prefix}br`;
    const net = freeSubnet();
    this.subnet = `${net}.0/24`;
    this.rootIp = `${net}.1`;
    this.killTimeoutMs = options.killTimeoutMs ?? 5000;
    this.marker = { pid: process.pid, prefix: this.prefix, namespaces: [], links: [] };
    options.hosts.forEach((name, i) => {
      if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`netlab: bad host name "${name}"`);
      this.hosts[name] = {
        name,
        ns: `${this.prefix}-${name}`,
        ip: `${net}.${i + 2}`,
        dev: 'eth0',
        rootDev: `${this.prefix}v${i}`,
      };
    });
  }

  /** Build the lab: bridge with the root address, one namespace per host, loopback up. */
  static async create(options: NetLabOptions): Promise<NetLab> {
    sweepStaleLabs();
    installExitHandlers();
    const lab = new NetLab(options);
    openLabs.add(lab);
    try {
      lab.build();
    } catch (e) {
      lab.closeSync();
      throw e;
    }
    return lab;
  }

  private saveMarker() {
    run('mkdir', ['-p', MARKER_DIR]);
    writeFileSync(path.join(MARKER_DIR, `${this.prefix}.json`), JSON.stringify(this.marker));
  }

  private build() {
    this.marker.links.push(this.bridge);
    this.saveMarker();
    run('ip', ['link', 'add', this.bridge, 'type', 'bridge']);
    run('ip', ['addr', 'add', `${this.rootIp}/24`, 'dev', this.bridge]);
    run('ip', ['link', 'set', this.bridge, 'up']);
    for (const h of Object.values(this.hosts)) {
      this.marker.namespaces.push(h.ns);
      this.marker.links.push(h.rootDev);
      this.saveMarker();
      run('ip', ['netns', 'add', h.ns]);
      run('ip', ['link', 'add', h.rootDev, 'type', 'veth', 'peer', 'name', h.dev, 'netns', h.ns]);
      run('ip', ['link', 'set', h.rootDev, 'master', this.bridge]);
      run('ip', ['link', 'set', h.rootDev, 'up']);
      run('ip', ['-n', h.ns, 'addr', 'add', `${h.ip}/24`, 'dev', h.dev]);
      run('ip', ['-n', h.ns, 'link', 'set', h.dev, 'up']);
      run('ip', ['-n', h.ns, 'link', 'set', 'lo', 'up']);
    }
  }

  host(name: string): LabHost {
    const h = this.hosts[name];
    if (!h)
      throw new Error(`netlab: no host "${name}" (hosts: ${Object.keys(this.hosts).join(', ')})`);
    return h;
  }

  ip(name: string): string {
    return this.host(name).ip;
  }

  /**
   * A fresh interface name under the lab's prefix (at most 15 chars), e.g. for a WireGuard
   * interface; the lab removes leftover wireguard-go sockets of such names on close.
   */
  ifName(hint = 'w'): string {
    const name = `${this.prefix}${hint}${this.nameCounter++}`;
    if (name.length > 15) throw new Error(`netlab: interface name "${name}" is over 15 chars`);
    return name;
  }

  /** Start `cmd args` inside `host`'s namespace as a tracked child (stopped by `close()`). */
  spawn(host: string, cmd: string, args: string[], options: SpawnOptions = {}): LabProcess {
    if (this.closed) throw new Error('netlab: closed');
    const h = this.host(host);
    const child = spawn('ip', ['netns', 'exec', h.ns, cmd, ...args], {
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = new LabProcess(host, child, options.label ?? `${host}:${path.basename(cmd)}`);
    this.processes.add(proc);
    void proc.exited.then(() => this.processes.delete(proc));
    return proc;
  }

  /** Run `cmd args` inside `host`'s namespace to completion. */
  async exec(
    host: string,
    cmd: string,
    args: string[],
    options: ExecOptions = {},
  ): Promise<ExecResult> {
    const h = this.host(host);
    const child = spawn('ip', ['netns', 'exec', h.ns, cmd, ...args], {
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const proc = new LabProcess(host, child, `${host}:${path.basename(cmd)}`);
    this.processes.add(proc);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    // A command that exits before reading its input must not crash the test with EPIPE.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(() => void proc.stop(1000), options.timeoutMs)
        : undefined;
    const { code, signal } = await proc.exited;
    if (timer) clearTimeout(timer);
    this.processes.delete(proc);
    const result = { stdout, stderr, exitCode: code, signal };
    if (options.reject !== false && code !== 0) {
      throw new Error(
        `${host}: ${cmd} ${args.join(' ')} failed (${code ?? signal}): ${stderr.trim() || stdout.trim()}`,
      );
    }
    return result;
  }

  /** Cut the host's cable: its veth end on the bridge goes down (the host's own config stays). */
  async linkDown(host: string): Promise<void> {
    run('ip', ['link', 'set', this.host(host).rootDev, 'down']);
  }

  /** Plug the cable back in. */
  async linkUp(host: string): Promise<void> {
    run('ip', ['link', 'set', this.host(host).rootDev, 'up']);
  }

  /**
   * Every process in `host`'s namespace (tracked or not, e.g. a wireguard-go an agent started)
   * with its command name from /proc/<pid>/comm.
   */
  processesIn(host: string): { pid: number; name: string }[] {
    const out: { pid: number; name: string }[] = [];
    for (const pid of nsPids(this.host(host).ns)) {
      try {
        out.push({ pid, name: readFileSync(`/proc/${pid}/comm`, 'utf8').trim() });
      } catch {
        // ended meanwhile
      }
    }
    return out;
  }

  /** Tracked processes still running. */
  running(): LabProcess[] {
    return [...this.processes].filter((p) => p.running);
  }

  /**
   * Stop every tracked child (SIGTERM, wait, SIGKILL after the timeout), then anything else
   * still running in the namespaces (e.g. a wireguard-go a child started), then delete the
   * interfaces and namespaces. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.running().map((p) => p.stop(this.killTimeoutMs)));
    teardownSync(this.marker, this.killTimeoutMs);
    openLabs.delete(this);
  }

  /** The same, synchronously (exit and signal handlers). */
  closeSync(): void {
    this.closed = true;
    for (const p of this.running()) p.child.kill('SIGTERM');
    teardownSync(this.marker, this.killTimeoutMs);
    openLabs.delete(this);
  }
}

/** Whether this process can build a lab (root, `ip netns`, /dev/net/tun). */
export function netlabAvailable(): { ok: boolean; reason: string } {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'needs root' };
  const ip = spawnSync('ip', ['netns', 'list']);
  if (ip.error || ip.status !== 0) return { ok: false, reason: 'ip netns is not available' };
  if (!existsSync('/dev/net/tun')) return { ok: false, reason: '/dev/net/tun is missing' };
  return { ok: true, reason: '' };
}

/**
 * `netlabAvailable()` for a namespace suite: a machine that cannot build a lab fails the suite
 * with the reason, unless CC_SKIP_NETNS=1 asks to skip it (then `ok` is false).
 */
export function requireNetlab(): { ok: boolean; reason: string } {
  const available = netlabAvailable();
  if (!available.ok && process.env.CC_SKIP_NETNS !== '1') {
    throw new Error(
      `namespace tests need root, ip netns and /dev/net/tun (${available.reason}); set CC_SKIP_NETNS=1 to skip them`,
    );
  }
  return available;
}
