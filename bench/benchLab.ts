import path from 'node:path';
import { LabRelay, TSX_NODE_ARGS, wireguardGoEnv } from '../e2e/harness/labRelay.js';
import { startTestApp, startWireGuardAgent, waitForStatus } from '../e2e/harness/labTunnel.js';
import { NetLab, netlabAvailable, type LabProcess } from '../e2e/harness/netlab.js';
import { REPO_ROOT } from '../e2e/harness/relayProcess.js';
import type { LoadResult, LoadSpec } from './tunnel/httpLoad.js';

export const APP_PORT = 8080;
export const FORWARD_PORT = 9090;

/** How much load each measured path gets. */
export interface LoadSettings {
  latencyRequests?: number;
  concurrency?: number;
  seconds?: number;
  downloadBytes?: number;
  downloads?: number;
}

export interface BenchLab {
  lab: NetLab;
  /** The relay in "cloud" (more instances for other paths come from it). */
  relay: LabRelay;
  /** The WireGuard agent in "home". */
  agent: LabProcess;
  /** The load each path gets (the settings asked for, defaults filled in). */
  settings: Required<LoadSettings>;
  /** The instance's tunnel IP; its agent's forwarder listens there on FORWARD_PORT. */
  tunnelIp: string;
  /** Load one URL from a lab host (the load generator runs inside that namespace). */
  load(url: string, options?: { from?: string; host?: string }): Promise<LoadResult>;
  close(): Promise<void>;
}

/**
 * The namespace set-up the tunnel and edge benchmarks share: the real relay with a
 * wireguard-go server in "cloud", the test app on every address of "home" (so other hosts reach
 * it straight over the veth link too), and a WireGuard agent in "home" connected through it.
 */
export async function startBenchLab(options: {
  tag: string;
  hosts: string[];
  relayEnv?: Record<string, string>;
  load?: LoadSettings;
  subdomain?: string;
}): Promise<BenchLab> {
  const ok = netlabAvailable();
  if (!ok.ok) throw new Error(`this benchmark needs network namespaces (${ok.reason})`);
  const spec: Required<LoadSettings> = {
    latencyRequests: options.load?.latencyRequests ?? 2000,
    concurrency: options.load?.concurrency ?? 16,
    seconds: options.load?.seconds ?? 5,
    downloadBytes: options.load?.downloadBytes ?? 50_000_000,
    downloads: options.load?.downloads ?? 3,
  };
  const lab = await NetLab.create({ tag: options.tag, hosts: options.hosts });
  let relay: LabRelay | null = null;
  try {
    relay = await LabRelay.start(lab, 'cloud', {
      env: { ...wireguardGoEnv(lab, 'cloud'), LOG_LEVEL: 'warn', ...options.relayEnv },
    });
    await startTestApp(lab, 'home', 'bench', { APP_HOST: '0.0.0.0', APP_PORT: String(APP_PORT) });
    const user = await relay.userWithInstance(
      options.subdomain ?? `bench-${lab.prefix.toLowerCase()}`,
    );
    const agent = startWireGuardAgent(lab, 'home', {
      CC_RELAY_URL: relay.url,
      CC_INSTANCE_TOKEN: user.instanceToken,
      CC_TARGET: `http://localhost:${APP_PORT}`,
      CC_FORWARD_PORT: String(FORWARD_PORT),
      CC_WG_INTERFACE_PREFIX: `${lab.prefix}a`,
    });
    await waitForStatus(agent, (s) => s.status === 'connected', 60_000);
    const running = relay;
    return {
      lab,
      relay: running,
      agent,
      settings: spec,
      tunnelIp: user.tunnelIp,
      async load(url, { from = 'cloud', host } = {}) {
        const s: LoadSpec = { url, ...spec, ...(host ? { host } : {}) };
        const r = await lab.exec(
          from,
          process.execPath,
          [...TSX_NODE_ARGS, path.join(REPO_ROOT, 'bench/tunnel/httpLoad.ts'), JSON.stringify(s)],
          {
            cwd: REPO_ROOT,
          },
        );
        return JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as LoadResult;
      },
      async close() {
        await lab.close();
        await running.close();
      },
    };
  } catch (e) {
    await lab.close();
    await relay?.close();
    throw e;
  }
}

/** Each figure of a measured path as a multiple of the same figure of the baseline. */
export interface LoadRatio {
  p50: number;
  p99: number;
  requestsPerSecond: number;
  downloadMBps: number;
}

export function loadRatio(x: LoadResult, base: LoadResult): LoadRatio {
  return {
    p50: x.p50Ms / base.p50Ms,
    p99: x.p99Ms / base.p99Ms,
    requestsPerSecond: x.requestsPerSecond / base.requestsPerSecond,
    downloadMBps: x.downloadMBps / base.downloadMBps,
  };
}

/** A table of measured paths (p50/p99 ms, req/s, MB/s) under a header naming the first column. */
export function loadTable(title: string, rows: [label: string, result: LoadResult][]): string[] {
  const width = Math.max(title.length, ...rows.map(([label]) => label.length));
  const line = (label: string, cells: string[]) =>
    `${label.padEnd(width)} ${cells.map((c) => c.padStart(8)).join(' ')}`;
  return [
    line(title, ['p50 ms', 'p99 ms', 'req/s', 'MB/s']),
    ...rows.map(
      ([label, x]) =>
        line(label, [
          x.p50Ms.toFixed(3),
          x.p99Ms.toFixed(3),
          x.requestsPerSecond.toFixed(0),
          x.downloadMBps.toFixed(1),
        ]) + (x.errors ? `  (${x.errors} errors)` : ''),
    ),
  ];
}

/** `ratio <what>: p50 ×…, p99 ×…, req/s ×…, MB/s ×…`. */
export function ratioLine(what: string, r: LoadRatio): string {
  return `ratio ${what}: p50 ×${r.p50.toFixed(2)}, p99 ×${r.p99.toFixed(2)}, req/s ×${r.requestsPerSecond.toFixed(2)}, MB/s ×${r.downloadMBps.toFixed(2)}`;
}
