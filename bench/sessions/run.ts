/**
 * `npm run bench:sessions` (issue 11 §5): one relay (the real relay in a child process, built-in
 * edge, WireGuard off) with 1,000 connected idle agents, each one stream session opened from
 * this process for its own instance (seeded through the store); prints the relay's memory per
 * session (RSS, heap and buffers after a full GC, before and after; goal < 100 KB), then
 * serves 1,000 concurrent visitor requests through the edge and one agent (agent-core's
 * StreamDriver, two sessions as users run it) to an app that holds each answer until all have
 * arrived, and prints errors, the time and how many were in flight at the app at once.
 * BENCH_SESSIONS and BENCH_STREAMS change the counts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StreamDriver } from '@cloud-connect/agent-core/tunnels';
import { REPO_ROOT, TSX_NODE_ARGS } from '../../e2e/harness/relayProcess.js';
import {
  connectStreamAgent,
  type TestStreamAgent,
} from '../../relay-server/src/testing/streamAgent.js';
import { sleep, until } from '../../relay-server/src/testing/until.js';
import { seedInstances, type SeededInstance } from '../heartbeats/seed.js';

const setting = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive whole number`);
  return v;
};
const SESSIONS = setting('BENCH_SESSIONS', 1000);
const STREAMS = setting('BENCH_STREAMS', 1000);
/** Upgrades under way at once while the idle sessions are opened. */
const DIAL_PARALLEL = 50;
/** The app answers a held request after this long even if not all have arrived. */
const HOLD_CAP_MS = 10_000;
/** Loopback tunnel addresses: nothing here may dial out (WireGuard is off anyway). */
const TUNNEL_CIDR = '127.80.0.0/16';
const KB = 1024;

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** The relay child: its URLs, and its memory after a full GC on request. */
interface RelayChild {
  relay: string;
  edge: string;
  child: ChildProcess;
  memory(): Promise<Memory>;
  stop(): Promise<void>;
}

async function startRelayChild(dataDir: string, secret: string): Promise<RelayChild> {
  const child = spawn(
    process.execPath,
    ['--expose-gc', ...TSX_NODE_ARGS, path.join(REPO_ROOT, 'bench/sessions/relayChild.ts')],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      // The secret goes by environment, never argv.
      env: {
        ...process.env,
        RELAY_DATA_DIR: dataDir,
        RELAY_SECRET: secret,
        RELAY_HOST: '127.0.0.1',
        RELAY_PORT: '0',
        RELAY_BASE_DOMAIN: 'cloud.test',
        EDGE_MODE: 'builtin',
        EDGE_HOST: '127.0.0.1',
        EDGE_PORT: '0',
        WG_MODE: 'off',
        TUNNEL_CIDR,
        LOG_LEVEL: 'warn',
      },
    },
  );
  const exited = once(child, 'exit');
  const urls = await new Promise<{ relay: string; edge: string }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"relay"'));
      if (line) resolve(JSON.parse(line) as { relay: string; edge: string });
    });
    child.once('exit', (code) => reject(new Error(`the relay exited (${code}): ${out}`)));
  });
  return {
    ...urls,
    child,
    memory() {
      const answer = once(child, 'message') as Promise<[Memory]>;
      child.send('memory');
      return answer.then(([m]) => m);
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Open one idle session per instance, DIAL_PARALLEL at a time; refused ones are counted. */
async function openIdleSessions(relayUrl: string, instances: SeededInstance[]) {
  const agents: TestStreamAgent[] = [];
  let refused = 0;
  let next = 0;
  const idle = (_req: unknown, res: http.ServerResponse | { end(body: string): void }) =>
    res.end('idle agent');
  await Promise.all(
    Array.from({ length: DIAL_PARALLEL }, async () => {
      while (next < instances.length) {
        const instance = instances[next++] as SeededInstance;
        const agent = await connectStreamAgent(relayUrl, instance.token, idle);
        if (agent.ok) agents.push(agent);
        else refused++;
      }
    }),
  );
  return { agents, refused };
}

/**
 * The app behind the one busy agent: `/held` answers wait until `expected` are in flight (or
 * HOLD_CAP_MS), so the streams really are open at once; anything else answers at once.
 */
async function startHoldingApp(expected: number) {
  let inFlight = 0;
  let peak = 0;
  const waiting: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    if (req.url !== '/held') return void res.end('ready');
    inFlight++;
    peak = Math.max(peak, inFlight);
    const release = () => {
      inFlight--;
      res.end('held');
    };
    const timer = setTimeout(release, HOLD_CAP_MS);
    waiting.push(() => {
      clearTimeout(timer);
      release();
    });
    if (inFlight >= expected) for (const go of waiting.splice(0)) go();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    peak: () => peak,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** One GET to the edge for `host`: its status, or 0 when it failed. */
function edgeGet(edge: string, host: string, path: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(`${edge}${path}`, { agent, headers: { host } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
  });
}

const kb = (bytes: number) => `${(bytes / KB).toFixed(1)} KB`;

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cc-bench-sessions-'));
  const secret = randomBytes(32).toString('hex');
  let relay: RelayChild | null = null;
  let agents: TestStreamAgent[] = [];
  let driver: StreamDriver | null = null;
  let app: Awaited<ReturnType<typeof startHoldingApp>> | null = null;
  try {
    // Instance 0 is the busy one (the StreamDriver's); the others get one idle session each.
    const seeded = await seedInstances(dataDir, secret, SESSIONS + 1, TUNNEL_CIDR);
    const [busy, ...idle] = seeded as [SeededInstance, ...SeededInstance[]];
    relay = await startRelayChild(dataDir, secret);
    const before = await relay.memory();

    const t0 = performance.now();
    const opened = await openIdleSessions(relay.relay, idle);
    agents = opened.agents;
    const openMs = performance.now() - t0;
    // Let the relay finish registering them (and a round of pings) before measuring.
    await sleep(2000);
    const after = await relay.memory();
    const n = agents.length;
    const per = (k: keyof Memory) => (after[k] - before[k]) / Math.max(1, n);
    const perSession = per('rss');
    console.log(
      `idle sessions: ${n} open (${opened.refused} refused) in ${(openMs / 1000).toFixed(1)} s`,
    );
    console.log(
      `relay memory: RSS ${(before.rss / KB / KB).toFixed(1)} → ${(after.rss / KB / KB).toFixed(1)} MB, heap used ${(before.heapUsed / KB / KB).toFixed(1)} → ${(after.heapUsed / KB / KB).toFixed(1)} MB`,
    );
    console.log(
      `relay memory per session: RSS ${kb(perSession)}, heap ${kb(per('heapUsed'))}, external ${kb(per('external'))} (array buffers ${kb(per('arrayBuffers'))})`,
    );
    console.log(
      `goal: < 100 KB per session — ${kb(perSession)} ${perSession < 100 * KB ? 'MET' : 'MISSED'}`,
    );

    app = await startHoldingApp(STREAMS);
    driver = new StreamDriver({
      relayUrl: relay.relay,
      token: busy.token,
      target: app.url,
      proxy: null,
    });
    await driver.start();
    const host = `${busy.subdomain}.cloud.test`;
    const visitors = new http.Agent({ keepAlive: true, maxSockets: Infinity });
    await until(
      `the edge to serve ${host}`,
      async () => (await edgeGet(relay!.edge, host, '/ready', visitors)) === 200,
      30_000,
      100,
    );
    const t1 = performance.now();
    const statuses = await Promise.all(
      Array.from({ length: STREAMS }, () => edgeGet(relay!.edge, host, '/held', visitors)),
    );
    const streamMs = performance.now() - t1;
    visitors.destroy();
    const errors = statuses.filter((s) => s !== 200).length;
    const counts = new Map<number, number>();
    for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
    console.log(
      `concurrent streams through one agent: ${STREAMS} requests, errors: ${errors}, time: ${(streamMs / 1000).toFixed(2)} s, at the app at once: ${app.peak()}`,
    );
    console.log(`statuses: ${[...counts].map(([s, c]) => `${s || 'failed'} ×${c}`).join(', ')}`);
    console.log(
      `goal: ${STREAMS} concurrent streams without an error — ${errors === 0 ? 'MET' : 'MISSED'}`,
    );
  } finally {
    await driver?.stop();
    for (const a of agents) a.close();
    app?.close();
    await relay?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
