/**
 * Benchmark (issue 5 §4): in the namespace set-up, HTTP latency p50/p99, requests/s and
 * large-download MB/s from the "internet" host to the home app (a) straight over the veth
 * link and (b) through the built-in edge + WireGuard + the agent's forwarder, in the same run,
 * with ratios; and (c) raw wireguard-go throughput: a plain TCP transfer from "cloud" to the
 * home host's tunnel IP. Goals: added p50 under 2 ms for small requests; (b)'s MB/s at least
 * half of (c)'s. `npm run bench:edge` (root, wireguard-go), or call `benchEdge()`.
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
import type { LoadResult } from '../tunnel/httpLoad.js';

export interface EdgeBenchResult {
  direct: LoadResult;
  edge: LoadResult;
  /** From "cloud" straight into the tunnel (WireGuard + agent, no edge): the edge's own share. */
  tunnelOnly: LoadResult;
  /** MB/s of each plain TCP transfer over the WireGuard tunnel (no HTTP, no edge, no forwarder). */
  rawWireGuardMBps: number[];
  addedP50Ms: number;
  /** edge ÷ direct for each figure. */
  ratio: LoadRatio;
  /** edge MB/s ÷ the best raw WireGuard MB/s. */
  edgeVsRawWireGuard: number;
}

export interface EdgeBenchOptions extends LoadSettings {
  rawTransfers?: number;
}

const RAW_PORT = 7070;
const HOST = 'bench.cloud.test';

/** A TCP source in "home": every connection gets `bytes` bytes, then the end. */
const rawSource = (bytes: number) => `
  const chunk = Buffer.alloc(256 * 1024, 97);
  require('node:net').createServer((s) => {
    let left = ${bytes};
    const pump = () => { while (left > 0) { left -= chunk.length; if (!s.write(chunk)) return void s.once('drain', pump); } s.end(); };
    s.on('error', () => {});
    pump();
  }).listen(${RAW_PORT}, '0.0.0.0', () => console.log('listening'));`;

/** A TCP sink in "cloud": read everything from `ip`, print MB/s. */
const rawSink = (ip: string) => `
  const t = process.hrtime.bigint(); let n = 0;
  const s = require('node:net').connect(${RAW_PORT}, '${ip}');
  s.on('data', (c) => (n += c.length));
  s.on('end', () => { console.log(JSON.stringify({ bytes: n, MBps: n / 1e6 / (Number(process.hrtime.bigint() - t) / 1e9) })); process.exit(0); });`;

export async function benchEdge(options: EdgeBenchOptions = {}): Promise<EdgeBenchResult> {
  const bench = await startBenchLab({
    tag: 'bedg',
    hosts: ['cloud', 'home', 'internet'],
    relayEnv: { EDGE_MODE: 'builtin', EDGE_HOST: '0.0.0.0', EDGE_PORT: '80' },
    load: options,
    subdomain: 'bench',
  });
  const { lab } = bench;
  try {
    const direct = await bench.load(`http://${lab.ip('home')}:${APP_PORT}`, { from: 'internet' });
    const edge = await bench.load(`http://${lab.ip('cloud')}:80`, { from: 'internet', host: HOST });
    const tunnelOnly = await bench.load(`http://${bench.tunnelIp}:${FORWARD_PORT}`);

    const source = lab.spawn('home', process.execPath, [
      '-e',
      rawSource(bench.settings.downloadBytes),
    ]);
    await source.waitForLine((l) => l === 'listening');
    const rawWireGuardMBps: number[] = [];
    for (let i = 0; i < (options.rawTransfers ?? 3); i++) {
      const r = await lab.exec('cloud', process.execPath, ['-e', rawSink(bench.tunnelIp)]);
      rawWireGuardMBps.push((JSON.parse(r.stdout.trim()) as { MBps: number }).MBps);
    }
    await source.stop();
    const bestRaw = Math.max(...rawWireGuardMBps);
    return {
      direct,
      edge,
      tunnelOnly,
      rawWireGuardMBps,
      addedP50Ms: edge.p50Ms - direct.p50Ms,
      ratio: loadRatio(edge, direct),
      edgeVsRawWireGuard: edge.downloadMBps / bestRaw,
    };
  } finally {
    await bench.close();
  }
}

/** The result as a small table with the two goals checked. */
export function formatEdgeBench(r: EdgeBenchResult): string {
  const best = Math.max(...r.rawWireGuardMBps);
  return [
    ...loadTable('path (client in "internet")', [
      ['(a) straight to the app (veth)', r.direct],
      ['(b) edge + WireGuard + agent', r.edge],
      ['(d) from cloud: WireGuard + agent only', r.tunnelOnly],
    ]),
    `(c) raw wireguard-go, plain TCP cloud→home: ${r.rawWireGuardMBps.map((x) => x.toFixed(1)).join(', ')} MB/s (best ${best.toFixed(1)})`,
    ratioLine('(b)/(a)', r.ratio),
    `goal: added p50 < 2 ms — ${r.addedP50Ms.toFixed(3)} ms ${r.addedP50Ms < 2 ? 'MET' : 'MISSED'}`,
    `goal: (b) MB/s ≥ ½ raw wireguard-go — ${(r.edgeVsRawWireGuard * 100).toFixed(0)}% ${r.edgeVsRawWireGuard >= 0.5 ? 'MET' : 'MISSED'}`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchEdge();
  console.log(formatEdgeBench(result));
  process.exit(0);
}
