/**
 * Benchmark (issue 5 §4, issue 11 §5): in the namespace set-up, HTTP latency p50/p99,
 * requests/s and large-download MB/s from the "internet" host to the home app (a) straight over
 * the veth link, (b) through the built-in edge + WireGuard + the agent's forwarder, (e) through
 * the built-in edge + the stream transport + the agent (`cloud-connect connect --transport
 * stream` as the user nobody) and (f) through OpenSSH remote forwarding (`ssh -R` as nobody to
 * an sshd in "cloud"), in the same run, with ratios; and (c) raw wireguard-go throughput: a
 * plain TCP transfer from "cloud" to the home host's tunnel IP. Goals: (b) adds under 2 ms p50
 * and carries at least half of (c)'s MB/s; (e) adds under 1 ms p50, carries at least twice
 * (c)'s MB/s and at least (f)'s, and twice (b)'s small requests/s.
 * `npm run bench:edge` (root, wireguard-go, openssh-server), or call `benchEdge()`.
 */
import { randomBytes } from 'node:crypto';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnLabCli } from '../../e2e/harness/cliProcess.js';
import { AS_NOBODY, NOBODY } from '../../e2e/harness/streamLab.js';
import type { LabProcess } from '../../e2e/harness/netlab.js';
import {
  APP_PORT,
  FORWARD_PORT,
  loadRatio,
  loadTable,
  ratioLine,
  startBenchLab,
  type LoadRatio,
  type BenchLab,
  type LoadSettings,
} from '../benchLab.js';
import type { LoadResult } from '../tunnel/httpLoad.js';
import { startSshForward } from './sshPeer.js';

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
  /** (e) the built-in edge + the stream transport + the agent. */
  stream: LoadResult;
  /** (f) OpenSSH remote forwarding from "home" to sshd in "cloud". */
  sshForward: LoadResult;
  /** (e) MB/s ÷ the best raw WireGuard MB/s. */
  streamVsRawWireGuard: number;
  /** (e) MB/s ÷ (f) MB/s. */
  streamVsSsh: number;
  /** (e) p50 − (a) p50. */
  streamAddedP50Ms: number;
  /** (e) small requests/s ÷ (b)'s. */
  streamVsEdgeRequests: number;
}

export interface EdgeBenchOptions extends LoadSettings {
  rawTransfers?: number;
}

const RAW_PORT = 7070;
const HOST = 'bench.cloud.test';
const STREAM_HOST = 'stream.cloud.test';
/** Where `ssh -R` opens the app's port in "cloud". */
const SSH_FORWARD_PORT = 9091;

/** The status of a GET with this Host header (0: no answer). */
function statusOf(url: string, host: string): Promise<number> {
  return new Promise((resolve) => {
    const req = get(url, { headers: { host }, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
  });
}

/** Wait until the edge in "cloud" answers 200 for `host` (its agent's data path is up). */
async function edgeServes(ip: string, host: string, agent: LabProcess): Promise<void> {
  const until = Date.now() + 60_000;
  while ((await statusOf(`http://${ip}:80/hello`, host)) !== 200) {
    if (!agent.running) throw new Error(`the agent for ${host} exited: ${agent.tail()}`);
    if (Date.now() > until) throw new Error(`the edge never served ${host}: ${agent.tail()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * (e)'s agent in "home": `cloud-connect connect --transport stream` for a second instance, as
 * the user nobody without capabilities, its HOME and data dir a temp dir of its own and the
 * instance token in its environment; resolves once the edge serves its host.
 */
async function startStreamAgent(bench: BenchLab): Promise<{ stop(): Promise<void> }> {
  const { lab, relay } = bench;
  const user = await relay.userWithInstance(STREAM_HOST.split('.')[0] as string);
  const dir = await mkdtemp(path.join(tmpdir(), 'cc-bench-agent-'));
  await chown(dir, NOBODY, NOBODY);
  const target = `http://localhost:${APP_PORT}`;
  const args = [
    'connect',
    '--instance',
    user.instanceId,
    '--target',
    target,
    '--transport',
    'stream',
  ];
  const agent = spawnLabCli(lab, 'home', args, {
    label: 'home:agent',
    prefix: AS_NOBODY,
    env: {
      HOME: dir,
      CLOUD_CONNECT_DATA_DIR: path.join(dir, 'data'),
      CLOUD_CONNECT_RELAY_URL: relay.url,
      CLOUD_CONNECT_INSTANCE_TOKEN: user.instanceToken,
      // The secrets file's key: nobody has no keychain.
      CLOUD_CONNECT_SECRET_KEY: randomBytes(24).toString('base64url'),
    },
  });
  const stop = async () => {
    await agent.stop(10_000);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await edgeServes(lab.ip('cloud'), STREAM_HOST, agent);
  } catch (e) {
    await stop();
    throw e;
  }
  return { stop };
}

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
    await edgeServes(lab.ip('cloud'), HOST, bench.agent);
    const edge = await bench.load(`http://${lab.ip('cloud')}:80`, { from: 'internet', host: HOST });
    const tunnelOnly = await bench.load(`http://${bench.tunnelIp}:${FORWARD_PORT}`);

    const agent = await startStreamAgent(bench);
    const stream = await bench.load(`http://${lab.ip('cloud')}:80`, {
      from: 'internet',
      host: STREAM_HOST,
    });
    await agent.stop();

    const ssh = await startSshForward(lab, {
      server: 'cloud',
      client: 'home',
      port: SSH_FORWARD_PORT,
      target: `localhost:${APP_PORT}`,
    });
    const sshForward = await bench.load(`http://${lab.ip('cloud')}:${SSH_FORWARD_PORT}`, {
      from: 'internet',
    });
    await ssh.stop();

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
      stream,
      sshForward,
      streamVsRawWireGuard: stream.downloadMBps / bestRaw,
      streamVsSsh: stream.downloadMBps / sshForward.downloadMBps,
      streamAddedP50Ms: stream.p50Ms - direct.p50Ms,
      streamVsEdgeRequests: stream.requestsPerSecond / edge.requestsPerSecond,
    };
  } finally {
    await bench.close();
  }
}

const goal = (met: boolean) => (met ? 'MET' : 'MISSED');

/** The result as a small table with the goals checked. */
export function formatEdgeBench(r: EdgeBenchResult): string {
  const best = Math.max(...r.rawWireGuardMBps);
  return [
    ...loadTable('path (client in "internet")', [
      ['(a) straight to the app (veth)', r.direct],
      ['(b) edge + WireGuard + agent', r.edge],
      ['(d) from cloud: WireGuard + agent only', r.tunnelOnly],
      ['(e) edge + stream transport + agent', r.stream],
      ['(f) ssh -R (OpenSSH remote forward)', r.sshForward],
    ]),
    `(c) raw wireguard-go, plain TCP cloud→home: ${r.rawWireGuardMBps.map((x) => x.toFixed(1)).join(', ')} MB/s (best ${best.toFixed(1)})`,
    ratioLine('(b)/(a)', r.ratio),
    `goal: added p50 < 2 ms — ${r.addedP50Ms.toFixed(3)} ms ${goal(r.addedP50Ms < 2)}`,
    `goal: (b) MB/s ≥ ½ raw wireguard-go — ${(r.edgeVsRawWireGuard * 100).toFixed(0)}% ${goal(r.edgeVsRawWireGuard >= 0.5)}`,
    ratioLine('(e)/(a)', loadRatio(r.stream, r.direct)),
    `stream/wireguard-go MB/s ratio: ${r.streamVsRawWireGuard.toFixed(2)}`,
    `stream/ssh-R MB/s ratio: ${r.streamVsSsh.toFixed(2)}`,
    `stream added p50 ms: ${r.streamAddedP50Ms.toFixed(3)}`,
    `goal: (e) MB/s ≥ 2× raw wireguard-go — ${goal(r.streamVsRawWireGuard >= 2)}`,
    `goal: (e) MB/s ≥ ssh -R — ${goal(r.streamVsSsh >= 1)}`,
    `goal: (e) added p50 < 1 ms — ${goal(r.streamAddedP50Ms < 1)}`,
    `goal: (e) small req/s ≥ 2× (b) — ×${r.streamVsEdgeRequests.toFixed(2)} ${goal(r.streamVsEdgeRequests >= 2)}`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchEdge();
  console.log(formatEdgeBench(result));
  process.exit(0);
}
