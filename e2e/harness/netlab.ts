import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

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

/** A tracked child process running inside one of the lab's namespaces. */
export class LabProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly host: string,
    readonly child: ChildProcess,
    readonly label: string,
  ) {
    const onData = () => {
      let partial = '';
      return (chunk: Buffer) => {
        const text = partial + chunk.toString('utf8');
        const parts = text.split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) this.push(line);
      };
    };
    child.stdout?.on('data', onData());
    child.stderr?.on('data', onData());
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        this.notify();
        resolve(this.exitInfo);
      });
      child.once('error', () => {
        this.exitInfo ??= { code: null, signal: null };
        this.notify();
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitInfo === null;
  }

  /** Everything the process printed so far (stdout and stderr interleaved by line). */
  output(): string {
    return this.lines.join('\n');
  }

  /** Lines of stdout that parse as JSON objects. */
  jsonLines<T = Record<string, unknown>>(): T[] {
    const out: T[] = [];
    for (const l of this.lines) {
      if (!l.startsWith('{')) continue;
      try {
        out.push(JSON.parse(l) as T);
      } catch {
        /* a log line that merely starts with a brace */
      }
    }
    return out;
  }

  /**
   * Resolve with the first line (already printed or still to come) for which `match` returns
   * true; reject after `timeoutMs` or when the process exits first.
   */
  waitForLine(match: (line: string) => boolean, timeoutMs = 30_000, from = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      let index = from;
      const check = () => {
        for (; index < this.lines.length; index++) {
          const line = this.lines[index] as string;
          if (match(line)) return done(() => resolve(line));
        }
        if (!this.running) {
          done(() =>
            reject(
              new Error(
                `${this.label} exited (${JSON.stringify(this.exitInfo)}) before the line came:\n${this.tail()}`,
              ),
            ),
          );
        }
      };
      const timer = setTimeout(
        () =>
          done(() =>
            reject(
              new Error(`${this.label}: no matching line in ${timeoutMs} ms:\n${this.tail()}`),
            ),
          ),
        timeoutMs,
      );
      const done = (fn: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        fn();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The same, for JSON lines: the first parsed object that `match` accepts. */
  async waitForJson<T = Record<string, unknown>>(
    match: (value: T) => boolean,
    timeoutMs = 30_000,
    from = 0,
  ): Promise<T> {
    const line = await this.waitForLine(
      (l) => {
        if (!l.startsWith('{')) return false;
        try {
          return match(JSON.parse(l) as T);
        } catch {
          return false;
        }
      },
      timeoutMs,
      from,
    );
    return JSON.parse(line) as T;
  }

  /** SIGTERM, wait up to `timeoutMs`, then SIGKILL; resolves once the process is gone. */
  async stop(timeoutMs = 5000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (this.running) this.child.kill('SIGKILL');
    }, timeoutMs);
    const info = await this.exited;
    clearTimeout(timer);
    return info;
  }

  tail(n = 30): string {
    return this.lines.slice(-n).join('\n');
  }

  private push(line: string) {
    this.lines.push(line);
    if (process.env.CC_LAB_VERBOSE === '1') process.stderr.write(`[${this.label}] ${line}\n`);
    this.notify();
  }

  private notify() {
    for (const w of [...this.waiters]) w();
  }
}

/** What a lab writes next to itself so a later run can clean up after an owner that died. */
interface LabMarker {
  pid: number;
  prefix: string;
  namespaces: string[];
  links: string[];
}

const MARKER_DIR = path.join(tmpdir(), 'cc-netlab');
const WG_SOCKET_DIR = '/var/run/wireguard';

function run(cmd: string, args: string[], allowFail = false): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0 && !allowFail) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
  }
  return r.stdout;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleepSync(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function nsPids(ns: string): number[] {
  return run('ip', ['netns', 'pids', ns], true)
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}

/**
 * Synchronous teardown, usable from an exit handler: every process in the namespaces gets
 * SIGTERM, then SIGKILL after `killTimeoutMs`; then links, namespaces and the lab's stale
 * WireGuard sockets go.
 */
function teardownSync(marker: LabMarker, killTimeoutMs: number) {
  const pids = () => marker.namespaces.flatMap(nsPids);
  let left = pids();
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  const deadline = Date.now() + killTimeoutMs;
  while ((left = pids().filter(alive)).length && Date.now() < deadline) sleepSync(50);
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  while (pids().filter(alive).length && Date.now() < deadline + 2000) sleepSync(50);
  for (const link of marker.links) run('ip', ['link', 'del', link], true);
  for (const ns of marker.namespaces) run('ip', ['netns', 'del', ns], true);
  // A wireguard-go killed by SIGKILL leaves its socket; no process of ours runs any more.
  if (existsSync(WG_SOCKET_DIR)) {
    for (const f of readdirSync(WG_SOCKET_DIR)) {
      if (f.startsWith(marker.prefix) && f.endsWith('.sock')) {
        rmSync(path.join(WG_SOCKET_DIR, f), { force: true });
      }
    }
  }
  rmSync(path.join(MARKER_DIR, `${marker.prefix}.json`), { force: true });
}

/** Clean up labs whose owning process is gone (a test run killed with SIGKILL). */
export function sweepStaleLabs(): string[] {
  if (!existsSync(MARKER_DIR)) return [];
  const swept: string[] = [];
  for (const f of readdirSync(MARKER_DIR)) {
    if (!f.endsWith('.json')) continue;
    let marker: LabMarker;
    try {
      marker = JSON.parse(readFileSync(path.join(MARKER_DIR, f), 'utf8')) as LabMarker;
    } catch {
      continue;
    }
    if (alive(marker.pid)) continue;
    teardownSync(marker, 3000);
    swept.push(marker.prefix);
  }
  return swept;
}

const openLabs = new Set<NetLab>();
let handlersInstalled = false;

function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const lab of openLabs) lab.closeSync();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = () => {
      for (const lab of openLabs) lab.closeSync();
      process.removeListener(signal, handler);
      process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
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
