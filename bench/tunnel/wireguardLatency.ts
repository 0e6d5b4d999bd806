/**
 * Benchmark (issue 3 §7): in the namespace set-up, HTTP latency p50/p99, requests/s and
 * download MB/s from the "cloud" host to the home app (a) straight over the veth link and
 * (b) through the WireGuard tunnel and the agent's forwarder, in the same run; (c) the app
 * through the tunnel without the forwarder shows what the forwarder itself costs.
 * `npm run bench:wireguard` (root, wireguard-go), or call `benchWireGuardLatency()`.
 */
import { pathToFileURL } from 'node:url';
import { APP_PORT, FORWARD_PORT, startBenchLab, type LoadSettings } from '../harness/benchLab.js';
import type { LoadResult } from './httpLoad.js';

export interface WireGuardLatencyResult {
  direct: LoadResult;
  tunnel: LoadResult;
  /** The app reached over WireGuard directly (no forwarder). */
  tunnelNoForwarder: LoadResult;
  /** tunnel ÷ direct for each figure. */
  ratio: { p50: number; p99: number; requestsPerSecond: number; downloadMBps: number };
}

export type WireGuardLatencyOptions = LoadSettings;

export async function benchWireGuardLatency(
  options: WireGuardLatencyOptions = {},
): Promise<WireGuardLatencyResult> {
  const bench = await startBenchLab({ tag: 'bwg', hosts: ['cloud', 'home'], load: options });
  try {
    // From "cloud": straight over the veth, through the tunnel and forwarder, and the tunnel alone.
    const direct = await bench.load(`http://${bench.lab.ip('home')}:${APP_PORT}`);
    const tunnel = await bench.load(`http://${bench.tunnelIp}:${FORWARD_PORT}`);
    const tunnelNoForwarder = await bench.load(`http://${bench.tunnelIp}:${APP_PORT}`);
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
    await bench.close();
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
