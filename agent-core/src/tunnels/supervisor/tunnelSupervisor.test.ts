import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  childProcessesOf,
  createStandInFixture,
  isProcessAlive,
  standInSignals,
  waitForEvent,
  type StandInFixture,
} from '../../testing/index.js';
import { CloudflaredDriver } from '../cloudflared/cloudflaredDriver.js';
import type { DriverProbe, TunnelDriver } from '../driver.js';
import type { TunnelStatus } from '../status.js';
import { TunnelError } from '../tunnelError.js';
import { TunnelSupervisor, type SupervisorClock } from './tunnelSupervisor.js';

/** The real driver, with the time of every start() and exit and a count of status() calls. */
class TimedDriver implements TunnelDriver {
  readonly kind;
  readonly events;
  readonly starts: number[] = [];
  readonly exits: number[] = [];
  statusCalls = 0;

  constructor(readonly inner: CloudflaredDriver) {
    this.kind = inner.kind;
    this.events = inner.events;
    inner.events.on('exit', () => this.exits.push(performance.now()));
  }

  start(): Promise<void> {
    this.starts.push(performance.now());
    return this.inner.start();
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }

  status(): Promise<DriverProbe> {
    this.statusCalls++;
    return this.inner.status();
  }
}

let fixture: StandInFixture | null = null;
const supervisors: TunnelSupervisor[] = [];
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.stop()));
  await fixture?.cleanup();
  fixture = null;
});

function supervise(
  driver: TunnelDriver,
  options: ConstructorParameters<typeof TunnelSupervisor>[1],
) {
  const supervisor = new TunnelSupervisor(driver, options);
  supervisors.push(supervisor);
  const statuses: TunnelStatus[] = [];
  supervisor.events.on('status', (s) => statuses.push(s));
  return { supervisor, statuses };
}

const is = (state: TunnelStatus['status']) => (s: TunnelStatus) => s.status === state;

async function cloudflaredChildren(): Promise<number[]> {
  return (await childProcessesOf(process.pid))
    .filter((p) => p.argv.some((a) => a.includes('cloudflared')))
    .map((p) => p.pid);
}

describe('TunnelSupervisor', () => {
  it('reports the seed’s status fields while connected, and disconnected after stop()', async () => {
    fixture = await createStandInFixture({ hostnames: ['home.example.net'] });
    const driver = fixture.driver();
    const { supervisor, statuses } = supervise(driver, {});
    const connected = waitForEvent(supervisor.events, 'status', is('connected'));
    await supervisor.start();
    expect(statuses[0]).toMatchObject({ status: 'connecting', is_connected: false });
    const [status] = await connected;
    expect(status).toMatchObject({
      status: 'connected',
      is_connected: true,
      is_running: true,
      hostname: 'home.example.net',
      hostnames: ['home.example.net'],
      error: null,
      error_code: null,
      reconnect_count: 0,
      kind: 'cloudflared',
      next_retry_at: null,
    });
    expect(Date.parse(status.last_connected ?? '')).toBeGreaterThan(Date.now() - 10_000);
    await sleep(150);
    expect(supervisor.status.uptime_seconds).toBeGreaterThanOrEqual(0.1);
    const pid = driver.pid ?? 0;
    const stopped = await supervisor.stop();
    expect(stopped).toMatchObject({
      status: 'disconnected',
      is_running: false,
      is_connected: false,
      uptime_seconds: 0,
      hostname: null,
    });
    expect(statuses.at(-1)?.status).toBe('disconnected');
    expect(await isProcessAlive(pid)).toBe(false);
  });

  it('restarts a crashing cloudflared with growing delays (measured)', async () => {
    fixture = await createStandInFixture({ exitAfterMs: 250, exitCode: 3 });
    const driver = new TimedDriver(fixture.driver());
    const { supervisor, statuses } = supervise(driver, {
      backoff: { initialMs: 100, factor: 2, capMs: 10_000, jitter: 0 },
    });
    const fifthStart = waitForEvent(
      supervisor.events,
      'status',
      (s) => s.reconnect_count === 4,
      30_000,
    );
    await supervisor.start();
    await fifthStart;
    const delays = driver.exits
      .slice(0, 4)
      .map((exitAt, i) => (driver.starts[i + 1] ?? 0) - exitAt);
    // Each delay is at least the backoff step and grows with it; load only adds to it.
    [100, 200, 400, 800].forEach((expected, i) => {
      expect(delays[i]).toBeGreaterThanOrEqual(expected - 5);
      expect(delays[i]).toBeLessThan(expected + 400);
    });
    for (let i = 1; i < delays.length; i++) {
      expect(delays[i] ?? 0).toBeGreaterThan(delays[i - 1] ?? 0);
    }
    const crash = statuses.find((s) => s.error_code === 'PROCESS_EXITED');
    expect(crash).toMatchObject({
      status: 'error',
      is_running: false,
      error: 'cloudflared exited with code 3',
    });
    expect(crash?.next_retry_at).not.toBeNull();
  });

  it('keeps restart delays within the cap and the jitter bounds', async () => {
    fixture = await createStandInFixture({ exitAfterMs: 200 });
    const driver = new TimedDriver(fixture.driver());
    const policy = { initialMs: 120, factor: 3, capMs: 300, jitter: 0.5 };
    const { supervisor } = supervise(driver, { backoff: policy });
    const done = waitForEvent(supervisor.events, 'status', (s) => s.reconnect_count === 3, 30_000);
    await supervisor.start();
    await done;
    const bases = [120, 300, 300];
    driver.exits.slice(0, 3).forEach((exitAt, i) => {
      const delay = (driver.starts[i + 1] ?? 0) - exitAt;
      const base = bases[i] ?? 0;
      expect(delay).toBeGreaterThanOrEqual(base * (1 - policy.jitter) - 5);
      expect(delay).toBeLessThan(base + 400);
    });
  });

  it('announces each retry time from the injected random source', async () => {
    fixture = await createStandInFixture({ exitAfterMs: 150 });
    const driver = fixture.driver();
    const { supervisor } = supervise(driver, {
      backoff: { initialMs: 1_000, factor: 2, capMs: 8_000, jitter: 0.5 },
      random: () => 0.999_999,
    });
    const crashed = waitForEvent(supervisor.events, 'status', (s) => s.next_retry_at !== null);
    await supervisor.start();
    const [status] = await crashed;
    const announced = Date.parse(status.next_retry_at ?? '') - Date.now();
    // Full jitter takes half of the 1 s step off: the retry is ~500 ms away.
    expect(announced).toBeGreaterThan(400);
    expect(announced).toBeLessThanOrEqual(500);
  });

  it('stops retrying on a permanent error (malformed token) and shows cloudflared’s message', async () => {
    fixture = await createStandInFixture();
    const driver = new TimedDriver(fixture.driver({ token: 'definitely-not-a-tunnel-token' }));
    const { supervisor, statuses } = supervise(driver, {
      backoff: { initialMs: 50, jitter: 0 },
    });
    const failed = waitForEvent(supervisor.events, 'status', is('error'));
    await supervisor.start();
    const [status] = await failed;
    expect(status).toMatchObject({
      error: 'Provided Tunnel token is not valid.',
      error_code: 'INVALID_TOKEN',
      next_retry_at: null,
      is_running: false,
    });
    await sleep(400);
    expect(driver.starts).toHaveLength(1);
    expect(supervisor.isActive).toBe(false);
    expect(statuses.at(-1)?.status).toBe('error');
    expect(await cloudflaredChildren()).toEqual([]);
  });

  it('does not retry when cloudflared is not installed', async () => {
    const inner = new CloudflaredDriver({ token: 'x'.repeat(60), binaryPath: '/nonexistent/cf' });
    const driver = new TimedDriver(inner);
    const { supervisor } = supervise(driver, { backoff: { initialMs: 50 } });
    const status = await supervisor.start();
    expect(status).toMatchObject({ status: 'error', error_code: 'BINARY_MISSING' });
    await sleep(200);
    expect(driver.starts).toHaveLength(1);
  });

  it('restarts a tunnel whose /ready stays 503 past the grace period', async () => {
    fixture = await createStandInFixture({ readyDelayMs: 60_000 });
    const driver = new TimedDriver(fixture.driver());
    const { supervisor, statuses } = supervise(driver, {
      healthCheckIntervalMs: 100,
      readyGraceMs: 600,
      backoff: { initialMs: 50, jitter: 0 },
    });
    await supervisor.start();
    const firstPid = driver.inner.pid ?? 0;
    const [failure] = await waitForEvent(
      supervisor.events,
      'status',
      (s) => s.error_code === 'HEALTH_CHECK_FAILED',
    );
    expect(failure.status).toBe('error');
    expect(failure.error).toMatch(/has not been connected for \d+ s/);
    expect(driver.statusCalls).toBeGreaterThan(0);
    await waitForEvent(supervisor.events, 'status', (s) => s.reconnect_count === 1);
    expect(driver.starts).toHaveLength(2);
    expect(await isProcessAlive(firstPid)).toBe(false);
    // It was never connected, so it stayed 'connecting' until the grace ran out.
    const beforeFailure = statuses.slice(0, statuses.indexOf(failure));
    expect(beforeFailure.every((s) => s.status === 'connecting')).toBe(true);
  });

  it('waits out a short outage, then restarts a tunnel that stays cut off and reconnects', async () => {
    fixture = await createStandInFixture({ retryBaseMs: 100, retries: 100 });
    const driver = new TimedDriver(fixture.driver());
    // The grace must outlast the stand-in's start-up (Node on a busy machine: up to ~1.5 s).
    const { supervisor } = supervise(driver, {
      healthCheckIntervalMs: 100,
      readyGraceMs: 3_000,
      backoff: { initialMs: 50, jitter: 0 },
    });
    await supervisor.start();
    await waitForEvent(supervisor.events, 'status', is('connected'));
    const pid = driver.inner.pid ?? 0;
    // Short outage: cloudflared reconnects by itself, no restart.
    process.kill(pid, standInSignals.dropConnections);
    const [lost] = await waitForEvent(supervisor.events, 'status', (s) => !s.is_connected);
    expect(lost.is_running).toBe(true);
    process.kill(pid, standInSignals.restoreConnections);
    await waitForEvent(supervisor.events, 'status', is('connected'));
    expect(driver.starts).toHaveLength(1);
    // Long outage: past the grace period the supervisor restarts it, and it comes back.
    process.kill(pid, standInSignals.dropConnections);
    const [restarted] = await waitForEvent(
      supervisor.events,
      'status',
      (s) => s.status === 'connected' && s.reconnect_count === 1,
      15_000,
    );
    expect(restarted.last_connected).not.toBeNull();
    expect(driver.starts).toHaveLength(2);
    expect(await isProcessAlive(pid)).toBe(false);
  });

  it('shows an edge refusal as an error while running, with the edge’s reason', async () => {
    fixture = await createStandInFixture({
      reject: 'Unauthorized: Invalid tunnel secret',
      retryBaseMs: 50,
    });
    const { supervisor } = supervise(fixture.driver(), {});
    await supervisor.start();
    const [status] = await waitForEvent(supervisor.events, 'status', is('error'));
    expect(status).toMatchObject({
      is_running: true,
      is_connected: false,
      error_code: 'TOKEN_REJECTED',
      next_retry_at: null,
    });
    expect(status.error).toContain('Unauthorized: Invalid tunnel secret');
  });

  it('stop() during the backoff cancels the restart and leaves nothing running', async () => {
    fixture = await createStandInFixture({ exitAfterMs: 100 });
    const driver = new TimedDriver(fixture.driver());
    const { supervisor, statuses } = supervise(driver, {
      backoff: { initialMs: 500, jitter: 0 },
    });
    const backingOff = waitForEvent(supervisor.events, 'status', (s) => s.next_retry_at !== null);
    await supervisor.start();
    await backingOff;
    await supervisor.stop();
    await sleep(800);
    expect(driver.starts).toHaveLength(1);
    expect(statuses.at(-1)).toMatchObject({ status: 'disconnected', next_retry_at: null });
    expect(await cloudflaredChildren()).toEqual([]);
  });

  it('start() is idempotent: concurrent calls run one cloudflared', async () => {
    fixture = await createStandInFixture();
    const driver = new TimedDriver(fixture.driver());
    const { supervisor } = supervise(driver, {});
    await Promise.all([supervisor.start(), supervisor.start(), supervisor.start()]);
    await waitForEvent(supervisor.events, 'status', is('connected'));
    await supervisor.start();
    expect(driver.starts).toHaveLength(1);
    expect(await cloudflaredChildren()).toHaveLength(1);
  });

  it('does not restart when a running driver exits with a permanent error (revoked token)', async () => {
    fixture = await createStandInFixture();
    const driver = new TimedDriver(fixture.driver());
    const { supervisor } = supervise(driver, { backoff: { initialMs: 50, capMs: 100 } });
    await supervisor.start();
    await waitForEvent(supervisor.events, 'status', is('connected'));
    const errored = waitForEvent(supervisor.events, 'status', is('error'));
    // What the WireGuard driver reports when a heartbeat answers 401.
    driver.events.emit('exit', new TunnelError('TOKEN_REVOKED', 'The instance token was revoked'));
    await errored;
    await sleep(400);
    expect(driver.starts).toHaveLength(1);
    expect(supervisor.status).toMatchObject({
      status: 'error',
      error_code: 'TOKEN_REVOKED',
      next_retry_at: null,
      is_running: false,
    });
    expect(await cloudflaredChildren()).toEqual([]);
  });

  it('probes the driver every 30 s by default (clock injected)', async () => {
    const timers = manualTimers();
    fixture = await createStandInFixture();
    const driver = new TimedDriver(fixture.driver());
    const { supervisor } = supervise(driver, { clock: timers.clock });
    await supervisor.start();
    await waitForEvent(supervisor.events, 'status', is('connected'));
    expect(timers.pending()).toContain(30_000);
    timers.advance(29_999);
    expect(driver.statusCalls).toBe(0);
    timers.advance(1);
    expect(driver.statusCalls).toBe(1);
    await sleep(200);
    expect(supervisor.status.status).toBe('connected');
    expect(timers.pending()).toContain(30_000); // re-armed for the next check
  });
});

/** A clock that only moves when the test says so. */
function manualTimers() {
  let now = Date.now();
  let nextId = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: SupervisorClock = {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++nextId;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
  };
  return {
    clock,
    pending: () => [...timers.values()].map((t) => t.at - now),
    advance(ms: number) {
      now += ms;
      for (const [id, timer] of [...timers]) {
        if (timer.at <= now) {
          timers.delete(id);
          timer.fn();
        }
      }
    },
  };
}
