import { afterEach, describe, expect, it } from 'vitest';
import {
  childProcessesOf,
  createStandInFixture,
  isProcessAlive,
  manualClock,
  standInSignals,
  waitForEvent,
  type ManualClock,
  type StandInFixture,
} from '../../testing/index.js';
import { CloudflaredDriver } from '../cloudflared/cloudflaredDriver.js';
import type { DriverProbe, TunnelDriver } from '../driver.js';
import type { TunnelStatus } from '../status.js';
import { TunnelError } from '../tunnelError.js';
import { TunnelSupervisor, type TunnelSupervisorOptions } from './tunnelSupervisor.js';

/** The real driver, with a count of start() and status() calls and the last stop() under way. */
class CountingDriver implements TunnelDriver {
  readonly kind;
  readonly events;
  starts = 0;
  statusCalls = 0;
  stopping: Promise<void> = Promise.resolve();

  constructor(readonly inner: CloudflaredDriver) {
    this.kind = inner.kind;
    this.events = inner.events;
  }

  start(): Promise<void> {
    this.starts++;
    return this.inner.start();
  }

  stop(): Promise<void> {
    this.stopping = this.inner.stop();
    return this.stopping;
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

/**
 * A supervisor on a manual clock: its retries, health checks and grace periods happen only when
 * the test moves the clock, so delays are proved exactly; the driver and cloudflared are real.
 */
function supervise(driver: TunnelDriver, options: TunnelSupervisorOptions) {
  const clock = manualClock();
  const supervisor = new TunnelSupervisor(driver, { ...options, clock, timers: clock });
  supervisors.push(supervisor);
  const statuses: TunnelStatus[] = [];
  supervisor.events.on('status', (s) => statuses.push(s));
  return { supervisor, statuses, clock };
}

const is = (state: TunnelStatus['status']) => (s: TunnelStatus) => s.status === state;
const backingOff = (s: TunnelStatus) => s.next_retry_at !== null;
const HOUR = 3_600_000;

/**
 * Move the clock to `delayMs` from now and check that `count` (starts, health probes) does not
 * move 1 ms early and moves by one on time.
 */
function expectOneMoreAfter(clock: ManualClock, delayMs: number, count: () => number) {
  const before = count();
  clock.advance(delayMs - 1);
  expect(count()).toBe(before);
  clock.advance(1);
  expect(count()).toBe(before + 1);
}

/** Wait for the restart after a crash to be scheduled (once the crashed process is stopped), check its delay, and restart on time. */
async function expectRestartAfter(clock: ManualClock, driver: CountingDriver, delayMs: number) {
  expect(await clock.whenScheduled()).toBe(delayMs);
  expectOneMoreAfter(clock, delayMs, () => driver.starts);
}

/**
 * Start a tunnel that keeps crashing and check each restart's delay in turn, as scheduled and
 * as announced in the status's next_retry_at; answers the status of each crash.
 */
async function expectRestartsAfter(
  supervisor: TunnelSupervisor,
  clock: ManualClock,
  driver: CountingDriver,
  delays: number[],
): Promise<TunnelStatus[]> {
  const crashes: TunnelStatus[] = [];
  let crashed = waitForEvent(supervisor.events, 'status', backingOff);
  await supervisor.start();
  for (const delay of delays) {
    const [crash] = await crashed;
    crashes.push(crash);
    expect(crash.next_retry_at).toBe(new Date(clock.nowMs() + delay).toISOString());
    crashed = waitForEvent(supervisor.events, 'status', backingOff);
    await expectRestartAfter(clock, driver, delay);
  }
  await crashed;
  return crashes;
}

/**
 * After a permanent error (once the supervisor has stopped the driver) nothing is scheduled,
 * and an hour later nothing has restarted.
 */
async function expectNoRetry(clock: ManualClock, driver: CountingDriver) {
  await driver.stopping;
  expect(clock.pendingTimers()).toBe(0);
  await clock.tick(HOUR);
  expect(driver.starts).toBe(1);
}

async function cloudflaredChildren(): Promise<number[]> {
  return (await childProcessesOf(process.pid))
    .filter((p) => p.argv.some((a) => a.includes('cloudflared')))
    .map((p) => p.pid);
}

describe('TunnelSupervisor', () => {
  it('reports the seed’s status fields while connected, and disconnected after stop()', async () => {
    fixture = await createStandInFixture({ hostnames: ['home.example.net'] });
    const driver = fixture.driver();
    const { supervisor, statuses, clock } = supervise(driver, {});
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
      uptime_seconds: 0,
      last_connected: clock.now().toISOString(),
    });
    clock.advance(1500);
    expect(supervisor.status.uptime_seconds).toBe(1.5);
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

  it('restarts a crashing cloudflared with growing delays, each announced in the status', async () => {
    fixture = await createStandInFixture({ exitAfterMs: 250, exitCode: 3 });
    const driver = new CountingDriver(fixture.driver());
    const { supervisor, clock } = supervise(driver, {
      backoff: { initialMs: 100, factor: 2, capMs: 10_000, jitter: 0 },
    });
    const crashes = await expectRestartsAfter(supervisor, clock, driver, [100, 200, 400, 800]);
    crashes.forEach((crash, restarts) => {
      expect(crash).toMatchObject({
        status: 'error',
        is_running: false,
        error_code: 'PROCESS_EXITED',
        error: 'cloudflared exited with code 3',
        reconnect_count: restarts,
      });
    });
  });

  it('keeps restart delays within the cap, less the jitter the random source draws', async () => {
    fixture = await createStandInFixture({ exitAfterMs: 200 });
    const driver = new CountingDriver(fixture.driver());
    // Draws of 0, 1 and 0.5: no jitter, all of it (half the step off), half of it.
    const draws = [0, 1, 0.5];
    const { supervisor, clock } = supervise(driver, {
      backoff: { initialMs: 120, factor: 3, capMs: 300, jitter: 0.5 },
      random: () => draws.shift() ?? 0,
    });
    // Steps 120, 360 → capped 300, 1080 → capped 300.
    await expectRestartsAfter(supervisor, clock, driver, [120, 150, 225]);
  });

  it('announces each retry time from the injected random source', async () => {
    fixture = await createStandInFixture({ exitAfterMs: 150 });
    const driver = fixture.driver();
    const { supervisor, clock } = supervise(driver, {
      backoff: { initialMs: 1_000, factor: 2, capMs: 8_000, jitter: 0.5 },
      random: () => 0.999_999,
    });
    const crashed = waitForEvent(supervisor.events, 'status', backingOff);
    await supervisor.start();
    const [status] = await crashed;
    // Full jitter takes half of the 1 s step off: the retry is 500 ms away.
    expect(Date.parse(status.next_retry_at ?? '') - clock.nowMs()).toBe(500);
  });

  it('stops retrying on a permanent error (malformed token) and shows cloudflared’s message', async () => {
    fixture = await createStandInFixture();
    const driver = new CountingDriver(fixture.driver({ token: 'definitely-not-a-tunnel-token' }));
    const { supervisor, statuses, clock } = supervise(driver, {
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
    await expectNoRetry(clock, driver);
    expect(supervisor.isActive).toBe(false);
    expect(statuses.at(-1)?.status).toBe('error');
    expect(await cloudflaredChildren()).toEqual([]);
  });

  it('does not retry when cloudflared is not installed', async () => {
    const inner = new CloudflaredDriver({ token: 'x'.repeat(60), binaryPath: '/nonexistent/cf' });
    const driver = new CountingDriver(inner);
    const { supervisor, clock } = supervise(driver, { backoff: { initialMs: 50 } });
    const status = await supervisor.start();
    expect(status).toMatchObject({ status: 'error', error_code: 'BINARY_MISSING' });
    await expectNoRetry(clock, driver);
  });

  it('restarts a tunnel whose /ready stays 503 once the grace period runs out, not before', async () => {
    fixture = await createStandInFixture({ readyDelayMs: 60_000 });
    const driver = new CountingDriver(fixture.driver());
    const { supervisor, statuses, clock } = supervise(driver, {
      healthCheckIntervalMs: HOUR,
      readyGraceMs: 600,
      backoff: { initialMs: 50, jitter: 0 },
    });
    await supervisor.start();
    const firstPid = driver.inner.pid ?? 0;
    const failed = waitForEvent(
      supervisor.events,
      'status',
      (s) => s.error_code === 'HEALTH_CHECK_FAILED',
    );
    expectOneMoreAfter(clock, 600, () => driver.statusCalls);
    const [failure] = await failed;
    expect(failure.status).toBe('error');
    expect(failure.error).toBe('The cloudflared tunnel has not been connected for 1 s');
    await expectRestartAfter(clock, driver, 50);
    expect(await isProcessAlive(firstPid)).toBe(false);
    // It was never connected, so it stayed 'connecting' until the grace ran out.
    const beforeFailure = statuses.slice(0, statuses.indexOf(failure));
    expect(beforeFailure.every((s) => s.status === 'connecting')).toBe(true);
  });

  it('waits out a short outage, then restarts a tunnel that stays cut off and reconnects', async () => {
    fixture = await createStandInFixture({ retryBaseMs: 100, retries: 100 });
    const driver = new CountingDriver(fixture.driver());
    const { supervisor, clock } = supervise(driver, {
      healthCheckIntervalMs: HOUR,
      readyGraceMs: 3_000,
      backoff: { initialMs: 50, jitter: 0 },
    });
    await supervisor.start();
    await waitForEvent(supervisor.events, 'status', is('connected'));
    const pid = driver.inner.pid ?? 0;
    // Short outage: cloudflared reconnects by itself within the grace period, no restart.
    process.kill(pid, standInSignals.dropConnections);
    const [lost] = await waitForEvent(supervisor.events, 'status', (s) => !s.is_connected);
    expect(lost.is_running).toBe(true);
    clock.advance(2_999);
    process.kill(pid, standInSignals.restoreConnections);
    await waitForEvent(supervisor.events, 'status', is('connected'));
    clock.advance(10_000); // the grace period was called off
    expect(driver.starts).toBe(1);
    expect(driver.statusCalls).toBe(0);
    // Long outage: once the grace period is over the supervisor restarts it, and it comes back.
    process.kill(pid, standInSignals.dropConnections);
    await waitForEvent(supervisor.events, 'status', (s) => !s.is_connected);
    const restarting = waitForEvent(supervisor.events, 'status', backingOff);
    expectOneMoreAfter(clock, 3_000, () => driver.statusCalls);
    // The stand-in's own reason (its failed reconnects), else the supervisor's.
    const [failure] = await restarting;
    expect(failure.status).toBe('error');
    const reconnected = waitForEvent(
      supervisor.events,
      'status',
      (s) => s.status === 'connected' && s.reconnect_count === 1,
    );
    await expectRestartAfter(clock, driver, 50);
    const [restarted] = await reconnected;
    expect(restarted.last_connected).not.toBeNull();
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
    const driver = new CountingDriver(fixture.driver());
    const { supervisor, statuses, clock } = supervise(driver, {
      backoff: { initialMs: 500, jitter: 0 },
    });
    const crashed = waitForEvent(supervisor.events, 'status', backingOff);
    await supervisor.start();
    await crashed;
    expect(await clock.whenScheduled()).toBe(500);
    await supervisor.stop();
    expect(clock.pendingTimers()).toBe(0);
    await clock.tick(HOUR);
    expect(driver.starts).toBe(1);
    expect(statuses.at(-1)).toMatchObject({ status: 'disconnected', next_retry_at: null });
    expect(await cloudflaredChildren()).toEqual([]);
  });

  it('start() is idempotent: concurrent calls run one cloudflared', async () => {
    fixture = await createStandInFixture();
    const driver = new CountingDriver(fixture.driver());
    const { supervisor } = supervise(driver, {});
    await Promise.all([supervisor.start(), supervisor.start(), supervisor.start()]);
    await waitForEvent(supervisor.events, 'status', is('connected'));
    await supervisor.start();
    expect(driver.starts).toBe(1);
    expect(await cloudflaredChildren()).toHaveLength(1);
  });

  it('does not restart when a running driver exits with a permanent error (revoked token)', async () => {
    fixture = await createStandInFixture();
    const driver = new CountingDriver(fixture.driver());
    const { supervisor, clock } = supervise(driver, { backoff: { initialMs: 50, capMs: 100 } });
    await supervisor.start();
    await waitForEvent(supervisor.events, 'status', is('connected'));
    const errored = waitForEvent(supervisor.events, 'status', is('error'));
    // What the WireGuard driver reports when a heartbeat answers 401.
    driver.events.emit('exit', new TunnelError('TOKEN_REVOKED', 'The instance token was revoked'));
    await errored;
    await expectNoRetry(clock, driver);
    expect(supervisor.status).toMatchObject({
      status: 'error',
      error_code: 'TOKEN_REVOKED',
      next_retry_at: null,
      is_running: false,
    });
    expect(await cloudflaredChildren()).toEqual([]);
  });

  it('probes the driver every 30 s by default', async () => {
    fixture = await createStandInFixture();
    const driver = new CountingDriver(fixture.driver());
    // A stable period unlike 30 s, so its timer is not mistaken for the health check's.
    const { supervisor, clock } = supervise(driver, { stableAfterMs: 45_000 });
    await supervisor.start();
    await waitForEvent(supervisor.events, 'status', is('connected'));
    expect(clock.pendingDelays()).toEqual([30_000, 45_000]);
    expectOneMoreAfter(clock, 30_000, () => driver.statusCalls);
    // Re-armed for the next check once this one has answered.
    expect(await clock.whenScheduled((delay) => delay === 30_000)).toBe(30_000);
    expect(supervisor.status.status).toBe('connected');
  });
});
