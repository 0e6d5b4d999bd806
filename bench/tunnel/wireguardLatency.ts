/**
 * Benchmark (issue 3 §7): in the namespace set-up, HTTP latency p50/p99, requests/s and
 * download MB/s from the "cloud" host to the home app (a) straight over the veth link and
 * (b) through the WireGuard tunnel and the agent's forwarder, in the same run; (c) the app
 * through the tunnel without the forwarder shows what the forwarder itself costs.
 * `npm run bench:wireguard` (root, wireguard-go), or call `benchWireGuardLatency()`.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LabRelay, TSX_NODE_ARGS } from '../../e2e/harness/labRelay.js';
import { NetLab, netlabAvailable } from '../../e2e/harness/netlab.js';
import { REPO_ROOT } from '../../e2e/harness/relayProcess.js';
import type { LoadResult, LoadSpec } from './httpLoad.js';

export interface WireGuardLatencyResult {
  direct: LoadResult;
  tunnel: LoadResult;
  /** The app reached over WireGuard directly (no forwarder). */
  tunnelNoForwarder: LoadResult;
  /** tunnel ÷ direct for each figure. */
  ratio: { p50: number; p99: number; requestsPerSecond: number; downloadMBps: number };
}

export interface WireGuardLatencyOptions {
  latencyRequests?: number;
  concurrency?: number;
  seconds?: number;
  downloadBytes?: number;
  downloads?: number;
}

const APP_PORT = 8080;
const FORWARD_PORT = 9090;

export async function benchWireGuardLatency(
  options: WireGuardLatencyOptions = {},
): Promise<WireGuardLatencyResult> {
  const ok = netlabAvailable();
  if (!ok.ok) throw new Error(`bench:wireguard needs network namespaces (${ok.reason})`);
  const spec = {
    latencyRequests: options.latencyRequests ?? 2000,
    concurrency: options.concurrency ?? 16,
    seconds: options.seconds ?? 5,
    downloadBytes: options.downloadBytes ?? 50_000_000,
    downloads: options.downloads ?? 3,
  };
  const lab = await NetLab.create({ tag: 'hG', hosts: ['cloud', 'home'] });
  let relay: LabRelay | null = null;
  try {
    relay = await LabRelay.start(lab, 'cloud', {
      env: {
        WG_MODE: 'wireguard-go',
        WG_INTERFACE: lab.ifName('s'),
        WG_LISTEN_PORT: '51820',
        WG_ENDPOINT: `${lab.ip('cloud')}:51820`,
        LOG_LEVEL: 'warn',
      },
    });
    // The app listens on every address of "home", so "cloud" reaches it straight over the veth.
    const app = lab.spawn(
      'home',
      process.execPath,
      [...TSX_NODE_ARGS, path.join(REPO_ROOT, 'e2e/harness/testApp.ts')],
      {
        cwd: REPO_ROOT,
        env: { APP_HOST: '0.0.0.0', APP_PORT: String(APP_PORT), APP_NAME: 'bench' },
      },
    );
    await app.waitForLine((l) => l.startsWith('listening'));
    const user = await relay.userWithInstance(`bench-${lab.prefix.toLowerCase()}`);
    const agent = lab.spawn(
      'home',
      process.execPath,
      [...TSX_NODE_ARGS, path.join(REPO_ROOT, 'e2e/harness/wireguardAgent.ts')],
      {
        cwd: REPO_ROOT,
        env: {
          CC_RELAY_URL: relay.url,
          CC_INSTANCE_TOKEN: user.instanceToken,
          CC_TARGET: `http://localhost:${APP_PORT}`,
          CC_FORWARD_PORT: String(FORWARD_PORT),
          CC_WG_INTERFACE_PREFIX: `${lab.prefix}a`,
        },
      },
    );
    await agent.waitForJson<{ event: string; status?: { status: string } }>(
      (l) => l.event === 'status' && l.status?.status === 'connected',
      60_000,
    );
    const load = async (url: string): Promise<LoadResult> => {
      const s: LoadSpec = { url, ...spec };
      const r = await lab.exec(
        'cloud',
        process.execPath,
        [...TSX_NODE_ARGS, path.join(REPO_ROOT, 'bench/tunnel/httpLoad.ts'), JSON.stringify(s)],
        { cwd: REPO_ROOT },
      );
      return JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as LoadResult;
    };
    const direct = await load(`http://${lab.ip('home')}:${APP_PORT}`);
    const tunnel = await load(`http://${user.tunnelIp}:${FORWARD_PORT}`);
    const tunnelNoForwarder = await load(`http://${user.tunnelIp}:${APP_PORT}`);
    return {
      direct,
      tunnel,
      tunnelNoForwarder,
      ratio: {
        p50: tunnel.p50Ms / direct.p50Ms,
        p99: tunnel.p99Ms / direct.p99Ms,
        requestsPerSecond: tunnel.requestsPerSecond / direct.requestsPerSecond,
        downloadMBps: tunnel.downloadMBps / direct.downloadMBps,
      },
    };
  } finally {
    await lab.close();
    await relay?.close();
  }
}

/** The result as a small table. */
export function formatWireGuardLatency(r: WireGuardLatencyResult): string {
  const row = (label: string, x: LoadResult) =>
    `${label.padEnd(34)} ${x.p50Ms.toFixed(3).padStart(8)} ${x.p99Ms.toFixed(3).padStart(8)} ${x.requestsPerSecond.toFixed(0).padStart(8)} ${x.downloadMBps.toFixed(1).padStart(8)}${x.errors ? `  (${x.errors} errors)` : ''}`;
  return [
    `${'path'.padEnd(34)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'req/s'.padStart(8)} ${'MB/s'.padStart(8)}`,
    row('(a) direct over the veth link', r.direct),
    row('(b) WireGuard + agent forwarder', r.tunnel),
    row('(c) WireGuard, no forwarder', r.tunnelNoForwarder),
    `ratio (b)/(a): p50 ×${r.ratio.p50.toFixed(2)}, p99 ×${r.ratio.p99.toFixed(2)}, req/s ×${r.ratio.requestsPerSecond.toFixed(2)}, MB/s ×${r.ratio.downloadMBps.toFixed(2)}`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchWireGuardLatency();
  console.log(formatWireGuardLatency(result));
  process.exit(0);
}
