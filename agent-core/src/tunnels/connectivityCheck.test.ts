import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import {
  childProcessesOf,
  createStandInFixture,
  isProcessAlive,
  makeTunnelToken,
  standInSignals,
  tunnelIdOf,
  waitForEvent,
  type StandInFixture,
} from '../testing/index.js';
import type { CloudflaredDriver } from './cloudflared/cloudflaredDriver.js';
import { probeRunningTunnel, testTunnelConnectivity } from './connectivityCheck.js';
import type { DriverEventMap, DriverProbe, TunnelDriver } from './driver.js';
import { TunnelSupervisor } from './supervisor/tunnelSupervisor.js';

const previousToken = makeTunnelToken();
const goodToken = makeTunnelToken();
const rejectedToken = makeTunnelToken();
const slowToken = makeTunnelToken();

let fixture: StandInFixture | null = null;
let previous: TunnelSupervisor | null = null;
afterEach(async () => {
  await previous?.stop();
  previous = null;
  await fixture?.cleanup();
  fixture = null;
});

/** A running supervisor on the stand-in (the tunnel that runs before the test), and its pid. */
async function setUp(): Promise<{
  supervisor: TunnelSupervisor;
  driver: CloudflaredDriver;
  pid: number;
}> {
  fixture = await createStandInFixture({
    hostnames: ['current.example.com'],
    tunnels: {
      [tunnelIdOf(goodToken)]: { hostnames: ['candidate.example.com'] },
      [tunnelIdOf(rejectedToken)]: {
        reject: 'Unauthorized: Invalid tunnel secret',
        retryBaseMs: 50,
      },
      [tunnelIdOf(slowToken)]: { readyDelayMs: 60_000 },
    },
  });
  const driver = fixture.driver({ token: previousToken });
  previous = new TunnelSupervisor(driver);
  const connected = waitForEvent(previous.events, 'status', (s) => s.status === 'connected');
  await previous.start();
  await connected;
  return { supervisor: previous, driver, pid: driver.pid ?? 0 };
}

/** The previous tunnel is running again: a new process, connected, on its own hostname. */
async function expectRestored(
  supervisor: TunnelSupervisor,
  driver: CloudflaredDriver,
  oldPid: number,
) {
  expect(supervisor.isActive).toBe(true);
  expect(await isProcessAlive(oldPid)).toBe(false);
  if (supervisor.status.status !== 'connected') {
    await waitForEvent(supervisor.events, 'status', (s) => s.status === 'connected');
  }
  expect(supervisor.status.hostname).toBe('current.example.com');
  expect(driver.pid).not.toBe(oldPid);
}

async function cloudflaredCount(): Promise<number> {
  return (await childProcessesOf(process.pid)).filter((p) =>
    p.argv.some((a) => a.includes('cloudflared')),
  ).length;
}

describe('testTunnelConnectivity', () => {
  it('reports success with latency and the candidate’s hostname, then restores the previous tunnel', async () => {
    const { supervisor, driver, pid } = await setUp();
    const candidate = fixture?.driver({ token: goodToken });
    if (!candidate) throw new Error('no fixture');
    let previousAliveDuringTest: boolean | null = null;
    candidate.events.once('probe', () => {
      void isProcessAlive(pid).then((alive) => (previousAliveDuringTest = alive));
    });
    const result = await testTunnelConnectivity({ candidate, previous: supervisor });
    expect(result).toEqual({
      success: true,
      error: null,
      error_code: null,
      latency_ms: expect.any(Number),
      hostname: 'candidate.example.com',
      tested: 'started',
    });
    expect(result.latency_ms).toBeGreaterThan(0);
    expect(result.latency_ms).toBeLessThan(30_000);
    expect(previousAliveDuringTest).toBe(false);
    expect(candidate.pid).toBeNull();
    await expectRestored(supervisor, driver, pid);
    expect(await cloudflaredCount()).toBe(1);
  });

  it('reports a malformed token with cloudflared’s message and restores the previous tunnel', async () => {
    const { supervisor, driver, pid } = await setUp();
    const candidate = fixture?.driver({
      token: 'not-a-token-at-all-but-long-enough-for-the-form-0123456789',
    });
    if (!candidate) throw new Error('no fixture');
    const result = await testTunnelConnectivity({ candidate, previous: supervisor });
    expect(result).toEqual({
      success: false,
      error: 'Provided Tunnel token is not valid.',
      error_code: 'INVALID_TOKEN',
      latency_ms: null,
      hostname: null,
      tested: 'started',
    });
    await expectRestored(supervisor, driver, pid);
  });

  it('reports an edge refusal at once, without waiting for the timeout', async () => {
    const { supervisor, driver, pid } = await setUp();
    const candidate = fixture?.driver({ token: rejectedToken });
    if (!candidate) throw new Error('no fixture');
    const before = performance.now();
    const result = await testTunnelConnectivity({
      candidate,
      previous: supervisor,
      timeoutMs: 20_000,
    });
    expect(performance.now() - before).toBeLessThan(10_000);
    expect(result).toMatchObject({ success: false, error_code: 'TOKEN_REJECTED', hostname: null });
    expect(result.error).toContain('Unauthorized: Invalid tunnel secret');
    await expectRestored(supervisor, driver, pid);
    expect(await cloudflaredCount()).toBe(1);
  });

  it('times out when no connection comes up, stops the candidate and restores the previous tunnel', async () => {
    const { supervisor, driver, pid } = await setUp();
    const candidate = fixture?.driver({ token: slowToken });
    if (!candidate) throw new Error('no fixture');
    const result = await testTunnelConnectivity({
      candidate,
      previous: supervisor,
      timeoutMs: 2_000,
      pollMs: 200,
    });
    expect(result).toMatchObject({
      success: false,
      error: 'No connection within 2 s (connection timeout)',
      error_code: 'TIMEOUT',
      hostname: null,
    });
    expect(result.latency_ms).toBeGreaterThanOrEqual(1_990);
    expect(candidate.pid).toBeNull();
    await expectRestored(supervisor, driver, pid);
    expect(await cloudflaredCount()).toBe(1);
  });

  it('restores the previous tunnel even when the test itself throws', async () => {
    const { supervisor, driver, pid } = await setUp();
    const exploding: TunnelDriver = {
      kind: 'cloudflared',
      events: new EventEmitter<DriverEventMap>(),
      start() {
        throw new Error('boom');
      },
      stop: () => Promise.resolve(),
      status: (): Promise<DriverProbe> =>
        Promise.resolve({ running: false, connected: false, hostnames: [], error: null }),
    };
    await expect(
      testTunnelConnectivity({ candidate: exploding, previous: supervisor }),
    ).rejects.toThrow('boom');
    await expectRestored(supervisor, driver, pid);
  });

  it('leaves an idle previous tunnel idle', async () => {
    const { supervisor } = await setUp();
    await supervisor.stop();
    const candidate = fixture?.driver({ token: goodToken });
    if (!candidate) throw new Error('no fixture');
    const result = await testTunnelConnectivity({ candidate, previous: supervisor });
    expect(result.success).toBe(true);
    expect(supervisor.isActive).toBe(false);
    expect(supervisor.status.status).toBe('disconnected');
    expect(await cloudflaredCount()).toBe(0);
  });
});

describe('probeRunningTunnel', () => {
  it('probes a connected tunnel where it stands: success, latency and hostname, same process', async () => {
    const { supervisor, driver, pid } = await setUp();
    const seen: string[] = [];
    supervisor.events.on('status', (st) => seen.push(st.status));
    const result = await probeRunningTunnel({ tunnel: supervisor });
    expect(result).toMatchObject({
      success: true,
      error: null,
      hostname: 'current.example.com',
      tested: 'running',
    });
    expect(result.latency_ms).toBeGreaterThan(0);
    expect(driver.pid).toBe(pid);
    // Details may change (the probe refreshes them); the state never leaves connected.
    expect(seen.filter((st) => st !== 'connected')).toEqual([]);
    expect(supervisor.status).toMatchObject({ status: 'connected', reconnect_count: 0 });
    expect(await cloudflaredCount()).toBe(1);
  });

  it('reports the running tunnel’s own error when its edge is gone, and leaves it running to recover', async () => {
    const { supervisor, driver, pid } = await setUp();
    const lost = waitForEvent(supervisor.events, 'status', (st) => st.status !== 'connected');
    process.kill(pid, standInSignals.dropConnections);
    await lost;
    const result = await probeRunningTunnel({ tunnel: supervisor, timeoutMs: 2000 });
    expect(result).toMatchObject({ success: false, tested: 'running' });
    expect(result.error).toBeTruthy();
    expect(driver.pid).toBe(pid);
    const back = waitForEvent(supervisor.events, 'status', (st) => st.status === 'connected');
    process.kill(pid, standInSignals.restoreConnections);
    await back;
    expect(await probeRunningTunnel({ tunnel: supervisor })).toMatchObject({ success: true });
    expect(driver.pid).toBe(pid);
  });

  it('waits for a tunnel that is still connecting, up to the timeout, without restarting it', async () => {
    fixture = await createStandInFixture({
      tunnels: { [tunnelIdOf(slowToken)]: { readyDelayMs: 60_000 } },
    });
    const driver = fixture.driver({ token: slowToken });
    previous = new TunnelSupervisor(driver);
    await previous.start();
    const pid = driver.pid;
    expect(previous.status.status).toBe('connecting');
    const result = await probeRunningTunnel({ tunnel: previous, timeoutMs: 800 });
    expect(result).toMatchObject({ success: false, error_code: 'TIMEOUT', tested: 'running' });
    expect(result.error).toMatch(/still connecting after/);
    expect(driver.pid).toBe(pid);
    expect(previous.isActive).toBe(true);
  });
});
