import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * What cleans up after a network lab: the `ip` runner, the marker a lab leaves beside itself,
 * the synchronous teardown (usable from an exit handler) and the sweep of labs whose owner died.
 */

/** What a lab writes next to itself so a later run can clean up after an owner that died. */
export interface LabMarker {
  pid: number;
  prefix: string;
  namespaces: string[];
  links: string[];
}

export const MARKER_DIR = path.join(tmpdir(), 'cc-netlab');
const WG_SOCKET_DIR = '/var/run/wireguard';

export function run(cmd: string, args: string[], allowFail = false): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0 && !allowFail) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/** Whether the pid is still taken (a zombie too), read from /proc: labs are Linux-only. */
const alive = (pid: number) => existsSync(`/proc/${pid}`);

function sleepSync(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function nsPids(ns: string): number[] {
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
export function teardownSync(marker: LabMarker, killTimeoutMs: number) {
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

/** Labs still open: exit and signal handlers close them synchronously. */
export const openLabs = new Set<{ closeSync(): void }>();
let handlersInstalled = false;

export function installExitHandlers() {
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
