/**
 * Benchmark (issue 3 §7): in the namespace set-up, HTTP latency p50/p99, requests/s and
 * download MB/s from the "cloud" host to the home app (a) straight over the veth link and
 * (b) through the WireGuard tunnel and the agent's forwarder, in the same run; (c) the app
 * through the tunnel without the forwarder shows what the forwarder itself costs.
 * `npm run bench:wireguard` (root, wireguard-go), or call `benchWireGuardLatency()`.
 */
import { pathToFileURL } from 'node:url';
import {
  APP_PORT,
  FORWARD_PORT,
  loadRatio,
  loadTable,
  ratioLine,
  startBenchLab,
  type LoadRatio,
  type LoadSettings,
} from '../benchLab.js';
import type { LoadResult } from './httpLoad.js';

export interface WireGuardLatencyResult {
  direct: LoadResult;
  tunnel: LoadResult;
  /** The app reached over WireGuard directly (no forwarder). */
  tunnelNoForwarder: LoadResult;
  /** tunnel ÷ direct for each figure. */
  ratio: LoadRatio;
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
    return { direct, tunnel, tunnelNoForwarder, ratio: loadRatio(tunnel, direct) };
  } finally {
    await bench.close();
  }
}

/** The result as a small table. */
export function formatWireGuardLatency(r: WireGuardLatencyResult): string {
  return [
    ...loadTable('path', [
      ['(a) direct over the veth link', r.direct],
      ['(b) WireGuard + agent forwarder', r.tunnel],
      ['(c) WireGuard, no forwarder', r.tunnelNoForwarder],
    ]),
    ratioLine('(b)/(a)', r.ratio),
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchWireGuardLatency();
  console.log(formatWireGuardLatency(result));
  process.exit(0);
}
