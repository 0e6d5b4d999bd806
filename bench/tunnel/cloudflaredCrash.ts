/**
 * Benchmark: time from a cloudflared crash (SIGKILL of the stand-in) to the supervisor's
 * status event. Goal: under 1 s. `npm run bench:cloudflared`, or call
 * `benchCloudflaredCrash()` from a combined benchmark.
 */
import { pathToFileURL } from 'node:url';
import { createStandInFixture, waitForEvent } from '@cloud-connect/agent-core/testing';
import { TunnelSupervisor } from '@cloud-connect/agent-core/tunnels';
import { percentile } from './httpLoad.js';

export interface CloudflaredCrashResult {
  runs: number;
  /** Crash → status event, per run, in milliseconds. */
  samplesMs: number[];
  p50Ms: number;
  maxMs: number;
  goalMs: number;
  metGoal: boolean;
}

const GOAL_MS = 1_000;

/** Kill the supervised stand-in `runs` times and time each crash until the status event. */
export async function benchCloudflaredCrash(
  options: { runs?: number } = {},
): Promise<CloudflaredCrashResult> {
  const runs = options.runs ?? 20;
  const fixture = await createStandInFixture();
  const driver = fixture.driver();
  // A constant short backoff: the benchmark measures detection, not the restart delay.
  const supervisor = new TunnelSupervisor(driver, {
    backoff: { initialMs: 50, factor: 1, capMs: 50, jitter: 0 },
  });
  const samplesMs: number[] = [];
  try {
    await supervisor.start();
    for (let i = 0; i < runs; i++) {
      if (supervisor.status.status !== 'connected') {
        await waitForEvent(supervisor.events, 'status', (s) => s.status === 'connected', 30_000);
      }
      const pid = driver.pid;
      if (pid === null) throw new Error('the stand-in is not running');
      const reported = waitForEvent(
        supervisor.events,
        'status',
        (s) => s.status !== 'connected',
        10_000,
      );
      const killedAt = performance.now();
      process.kill(pid, 'SIGKILL');
      await reported;
      samplesMs.push(performance.now() - killedAt);
    }
  } finally {
    await supervisor.stop();
    await fixture.cleanup();
  }
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const maxMs = sorted.at(-1) ?? NaN;
  return {
    runs,
    samplesMs,
    p50Ms: percentile(sorted, 0.5),
    maxMs,
    goalMs: GOAL_MS,
    metGoal: maxMs < GOAL_MS,
  };
}

/** One line for a report. */
export function formatCloudflaredCrash(result: CloudflaredCrashResult): string {
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  return (
    `cloudflared crash → status event (${result.runs} runs): p50 ${ms(result.p50Ms)}, ` +
    `max ${ms(result.maxMs)} (goal < ${result.goalMs} ms: ${result.metGoal ? 'met' : 'MISSED'})`
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchCloudflaredCrash();
  console.log(formatCloudflaredCrash(result));
  process.exitCode = result.metGoal ? 0 : 1;
}
