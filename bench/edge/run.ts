/**
 * Benchmark (issue 5 §4): in the namespace set-up, HTTP latency p50/p99, requests/s and
 * large-download MB/s from the "internet" host to the home app (a) straight over the veth
 * link and (b) through the built-in edge + WireGuard + the agent's forwarder, in the same run,
 * with ratios; and (c) raw wireguard-go throughput: a plain TCP transfer from "cloud" to the
 * home host's tunnel IP. Goals: added p50 under 2 ms for small requests; (b)'s MB/s at least
 * half of (c)'s. `npm run bench:edge` (root, wireguard-go), or call `benchEdge()`.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LabRelay, TSX_NODE_ARGS } from '../../e2e/harness/labRelay.js';
import { NetLab, netlabAvailable } from '../../e2e/harness/netlab.js';
import { REPO_ROOT } from '../../e2e/harness/relayProcess.js';
import type { LoadResult, LoadSpec } from '../tunnel/httpLoad.js';

export interface EdgeBenchResult {
  direct: LoadResult;
  edge: LoadResult;
  /** From "cloud" straight into the tunnel (WireGuard + agent, no edge): the edge's own share. */
  tunnelOnly: LoadResult;
  /** MB/s of each plain TCP transfer over the WireGuard tunnel (no HTTP, no edge, no forwarder). */
  rawWireGuardMBps: number[];
  addedP50Ms: number;
  ratio: { p50: number; p99: number; requestsPerSecond: number; downloadMBps: number };
  /** edge MB/s ÷ the best raw WireGuard MB/s. */
  edgeVsRawWireGuard: number;
}

export interface EdgeBenchOptions {
  latencyRequests?: number;
  concurrency?: number;
  seconds?: number;
  downloadBytes?: number;
  downloads?: number;
  rawTransfers?: number;
}

const APP_PORT = 8080;
const FORWARD_PORT = 9090;
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
  const ok = netlabAvailable();
  if (!ok.ok) throw new Error(`bench:edge needs network namespaces (${ok.reason})`);
  const spec = {
    latencyRequests: options.latencyRequests ?? 2000,
    concurrency: options.concurrency ?? 16,
    seconds: options.seconds ?? 5,
    downloadBytes: options.downloadBytes ?? 50_000_000,
    downloads: options.downloads ?? 3,
  };
  const lab = await NetLab.create({ tag: 'hI', hosts: ['cloud', 'home', 'internet'] });
  let relay: LabRelay | null = null;
  try {
    relay = await LabRelay.start(lab, 'cloud', {
      env: {
        WG_MODE: 'wireguard-go',
        WG_INTERFACE: lab.ifName('s'),
        WG_LISTEN_PORT: '51820',
        WG_ENDPOINT: `${lab.ip('cloud')}:51820`,
        EDGE_MODE: 'builtin',
        EDGE_HOST: '0.0.0.0',
        EDGE_PORT: '80',
        LOG_LEVEL: 'warn',
      },
    });
    // The app listens on every address of "home": "internet" reaches it over the veth link.
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
    const user = await relay.userWithInstance('bench');
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
    const load = async (url: string, host?: string, from = 'internet'): Promise<LoadResult> => {
      const s: LoadSpec = { url, ...spec, ...(host ? { host } : {}) };
      const r = await lab.exec(
        from,
        process.execPath,
        [...TSX_NODE_ARGS, path.join(REPO_ROOT, 'bench/tunnel/httpLoad.ts'), JSON.stringify(s)],
        { cwd: REPO_ROOT },
      );
      return JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as LoadResult;
    };
    const direct = await load(`http://${lab.ip('home')}:${APP_PORT}`);
    const edge = await load(`http://${lab.ip('cloud')}:80`, HOST);
    const tunnelOnly = await load(`http://${user.tunnelIp}:${FORWARD_PORT}`, undefined, 'cloud');

    const source = lab.spawn('home', process.execPath, ['-e', rawSource(spec.downloadBytes)]);
    await source.waitForLine((l) => l === 'listening');
    const rawWireGuardMBps: number[] = [];
    for (let i = 0; i < (options.rawTransfers ?? 3); i++) {
      const r = await lab.exec('cloud', process.execPath, ['-e', rawSink(user.tunnelIp)]);
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
      ratio: {
        p50: edge.p50Ms / direct.p50Ms,
        p99: edge.p99Ms / direct.p99Ms,
        requestsPerSecond: edge.requestsPerSecond / direct.requestsPerSecond,
        downloadMBps: edge.downloadMBps / direct.downloadMBps,
      },
      edgeVsRawWireGuard: edge.downloadMBps / bestRaw,
    };
  } finally {
    await lab.close();
    await relay?.close();
  }
}

/** The result as a small table with the two goals checked. */
export function formatEdgeBench(r: EdgeBenchResult): string {
  const row = (label: string, x: LoadResult) =>
    `${label.padEnd(38)} ${x.p50Ms.toFixed(3).padStart(8)} ${x.p99Ms.toFixed(3).padStart(8)} ${x.requestsPerSecond.toFixed(0).padStart(8)} ${x.downloadMBps.toFixed(1).padStart(8)}${x.errors ? `  (${x.errors} errors)` : ''}`;
  const best = Math.max(...r.rawWireGuardMBps);
  return [
    `${'path (client in "internet")'.padEnd(38)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'req/s'.padStart(8)} ${'MB/s'.padStart(8)}`,
    row('(a) straight to the app (veth)', r.direct),
    row('(b) edge + WireGuard + agent', r.edge),
    row('(d) from cloud: WireGuard + agent only', r.tunnelOnly),
    `(c) raw wireguard-go, plain TCP cloud→home: ${r.rawWireGuardMBps.map((x) => x.toFixed(1)).join(', ')} MB/s (best ${best.toFixed(1)})`,
    `ratio (b)/(a): p50 ×${r.ratio.p50.toFixed(2)}, p99 ×${r.ratio.p99.toFixed(2)}, req/s ×${r.ratio.requestsPerSecond.toFixed(2)}, MB/s ×${r.ratio.downloadMBps.toFixed(2)}`,
    `goal: added p50 < 2 ms — ${r.addedP50Ms.toFixed(3)} ms ${r.addedP50Ms < 2 ? 'MET' : 'MISSED'}`,
    `goal: (b) MB/s ≥ ½ raw wireguard-go — ${(r.edgeVsRawWireGuard * 100).toFixed(0)}% ${r.edgeVsRawWireGuard >= 0.5 ? 'MET' : 'MISSED'}`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchEdge();
  console.log(formatEdgeBench(result));
  process.exit(0);
}
