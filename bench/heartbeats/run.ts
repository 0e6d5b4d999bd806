import { randomBytes } from 'node:crypto';
import { watch } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import {
  startRelayProcess,
  startServerProcess,
  type RelayProcess,
  type ServerProcess,
} from '../../e2e/harness/relayProcess.js';
import { seedInstances, type SeededInstance } from './seed.js';

/**
 * `npm run bench:heartbeats`: 10,000 registered instances, authenticated heartbeats over
 * HTTP with concurrency against the real relay-server process, and the same load against a
 * bare Koa JSON route on the same machine, in alternating rounds. See README.md beside this
 * file for what it measures and how to read it.
 */

const setting = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};
const INSTANCES = setting('BENCH_INSTANCES', 10_000);
const CONNECTIONS = setting('BENCH_CONNECTIONS', 32);
const ROUND_S = setting('BENCH_ROUND_SECONDS', 5);
const ROUNDS = setting('BENCH_ROUNDS', 3);
const WARMUP_S = setting('BENCH_WARMUP', 3);
const PROFILE = process.env.BENCH_PROFILE === '1';
/** Where BENCH_PROFILE=1 leaves the relay's V8 CPU profile (open it in Chrome DevTools). */
const PROFILE_DIR = path.join(tmpdir(), 'cc-bench-heartbeats-profiles');
const HEARTBEAT_PATH = '/v1/tunnel/heartbeat';

interface Round {
  seconds: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** Server CPU seconds (user + system) spent during the round; null without /proc. */
  cpuSeconds: number | null;
}

/**
 * Requests for autocannon: every connection cycles through its own slice of the instances,
 * each request carrying that instance's token (prebuilt once, so the load generator does
 * not rebuild a request per call). The bare route gets the very same requests.
 */
function perConnectionRequests(seeded: SeededInstance[], connections: number) {
  const slices: autocannon.Request[][] = Array.from({ length: connections }, () => []);
  seeded.forEach((s, n) => {
    slices[n % connections]!.push({
      method: 'POST',
      path: HEARTBEAT_PATH,
      headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
  });
  let next = 0;
  return (client: autocannon.Client) => {
    client.setRequests(slices[next++ % connections]!);
  };
}

/** CPU seconds (user + system) a process has used so far; null where /proc is missing. */
async function cpuSeconds(pid: number | undefined): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces); utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** Run the load for `seconds`, or for exactly `amount` requests. */
async function load(
  url: string,
  seeded: SeededInstance[],
  run: { seconds: number } | { amount: number },
  serverPid?: number,
): Promise<Round> {
  const cpuBefore = await cpuSeconds(serverPid);
  const started = performance.now();
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    ...('seconds' in run ? { duration: run.seconds } : { amount: run.amount }),
    setupClient: perConnectionRequests(seeded, CONNECTIONS),
  });
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = await cpuSeconds(serverPid);
  return {
    seconds,
    requests: result.requests.total,
    rps: result.requests.total / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cpuSeconds: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
  };
}

/** All rounds of one target as one figure: total rate, median p50, worst p99, CPU per request. */
function combine(rounds: Round[]) {
  const requests = rounds.reduce((n, r) => n + r.requests, 0);
  const seconds = rounds.reduce((n, r) => n + r.seconds, 0);
  const p50s = rounds.map((r) => r.p50).sort((a, b) => a - b);
  const cpu = rounds.every((r) => r.cpuSeconds !== null)
    ? rounds.reduce((n, r) => n + r.cpuSeconds!, 0)
    : null;
  return {
    rps: requests / seconds,
    p50: p50s[Math.floor(p50s.length / 2)]!,
    p99: Math.max(...rounds.map((r) => r.p99)),
    requests,
    seconds,
    non2xx: rounds.reduce((n, r) => n + r.non2xx, 0),
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    cpuUsPerRequest: cpu === null ? null : (cpu * 1e6) / Math.max(1, requests),
  };
}

/** Counts rewrites of the snapshot: each atomic write ends in a rename onto `store.json`. */
function countDataFileWrites(dataDir: string) {
  let writes = 0;
  const watcher = watch(dataDir, (_event, name) => {
    if (name === 'store.json') writes += 1;
  });
  return {
    get writes() {
      return writes;
    },
    stop: () => watcher.close(),
  };
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cc-bench-heartbeats-'));
  const secret = randomBytes(32).toString('base64url');
  let relay: RelayProcess | null = null;
  let bare: ServerProcess | null = null;
  try {
    const seedStart = performance.now();
    const seeded = await seedInstances(dataDir, secret, INSTANCES);
    console.log(
      `seeded ${fmt(seeded.length)} registered instances in ${fmt((performance.now() - seedStart) / 1000, 1)} s`,
    );
    relay = await startRelayProcess(
      // The secret goes by environment, never argv; info is the production log level.
      { RELAY_DATA_DIR: dataDir, RELAY_SECRET: secret, LOG_LEVEL: 'info' },
      PROFILE ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] } : {},
    );
    bare = await startServerProcess('bench/heartbeats/bareServer.ts', {
      printed: /bare koa on (http:\/\/\S+)/,
    });
    const relayUrl = `${relay.url}${HEARTBEAT_PATH}`;
    const bareUrl = `${bare.url}${HEARTBEAT_PATH}`;

    console.log(
      `${cpus().length} CPUs, load average ${loadavg()
        .map((l) => fmt(l, 1))
        .join(' ')}; ${CONNECTIONS} keep-alive connections; ` +
        `warm-up: every instance once, then ${WARMUP_S} s each; ` +
        `then ${ROUNDS} alternating rounds of ${ROUND_S} s each`,
    );
    // Every token once first: an agent heartbeats every minute for as long as it runs, so
    // the steady state, not the first call of each token, is what this measures.
    await load(relayUrl, seeded, { amount: seeded.length });
    await load(relayUrl, seeded, { seconds: WARMUP_S });
    await load(bareUrl, seeded, { seconds: WARMUP_S });

    // Alternating rounds, so a change in the machine's other load hits both targets alike.
    const hbRounds: Round[] = [];
    const bareRounds: Round[] = [];
    let fileWrites = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const counter = countDataFileWrites(dataDir);
      const hb = await load(relayUrl, seeded, { seconds: ROUND_S }, relay.child.pid);
      counter.stop();
      fileWrites += counter.writes;
      hbRounds.push(hb);
      bareRounds.push(await load(bareUrl, seeded, { seconds: ROUND_S }, bare.child.pid));
      console.log(
        `  round ${round + 1}: heartbeat ${fmt(hb.rps)} req/s, bare ${fmt(bareRounds[round]!.rps)} req/s, ratio ${fmt(hb.rps / bareRounds[round]!.rps, 2)}`,
      );
    }
    const hb = combine(hbRounds);
    const base = combine(bareRounds);
    const snapshotBytes = (await stat(path.join(dataDir, 'store.json'))).size;
    const ratio = hb.rps / base.rps;

    const row = (label: string, m: ReturnType<typeof combine>) =>
      `  ${label.padEnd(10)} ${fmt(m.rps).padStart(8)} req/s   p50 ${fmt(m.p50).padStart(3)} ms   p99 ${fmt(m.p99).padStart(4)} ms   ` +
      `${m.cpuUsPerRequest === null ? '' : `server CPU ${fmt(m.cpuUsPerRequest)} µs/req   `}` +
      `${fmt(m.requests)} requests, ${m.non2xx} non-2xx, ${m.errors} errors`;
    console.log(
      [
        '',
        `POST ${HEARTBEAT_PATH}, ${fmt(seeded.length)} instance tokens round-robin:`,
        row('heartbeat', hb),
        row('bare koa', base),
        `  ratio heartbeat / bare Koa: ${fmt(ratio, 2)} (goal ≥ 0.50)`,
        `  data file (store.json, ${fmt(snapshotBytes / 1e6, 1)} MB) written ${fileWrites} times in ${fmt(hb.seconds, 1)} s of heartbeats = ${fmt(fileWrites / hb.seconds, 2)}/s`,
      ].join('\n'),
    );
    console.log(
      JSON.stringify({
        instances: seeded.length,
        connections: CONNECTIONS,
        rounds: ROUNDS,
        roundSeconds: ROUND_S,
        heartbeat: hb,
        bare: base,
        ratio: Number(ratio.toFixed(3)),
        dataFileWritesPerSecond: Number((fileWrites / hb.seconds).toFixed(2)),
        snapshotBytes,
      }),
    );
    if (hb.non2xx > 0 || hb.errors > 0) {
      console.error('heartbeats failed: every heartbeat must answer 200');
      process.exitCode = 1;
    }
  } finally {
    await bare?.stop();
    await relay?.stop();
    await rm(dataDir, { recursive: true, force: true });
    if (PROFILE) console.log(`relay CPU profile in ${PROFILE_DIR}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
