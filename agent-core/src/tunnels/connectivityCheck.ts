import type { DriverProbe, TunnelDriver } from './driver.js';
import type { TunnelStatus, TunnelTestResult } from './status.js';
import type { TunnelSupervisor } from './supervisor/tunnelSupervisor.js';
import { TunnelError, type TunnelErrorCode } from './tunnelError.js';

/** What runs now and is put back afterwards (a TunnelSupervisor fits). */
export interface RestorableTunnel {
  /** Started and not given up. */
  readonly isActive: boolean;
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
}

export interface ConnectivityTestOptions {
  /** The configuration to test, as a driver of its own (e.g. a cloudflared driver with the new token). */
  candidate: TunnelDriver;
  /** The tunnel running now, if any: stopped for the test and restarted after it. */
  previous?: RestorableTunnel | null;
  /** How long to wait for a connection (seed 000: 30 s). */
  timeoutMs?: number;
  /** After connecting, how long to wait for the hostname if it has not arrived yet. */
  hostnameWaitMs?: number;
  /** How often the candidate is probed besides its events. */
  pollMs?: number;
}

type Outcome =
  | { kind: 'connected'; probe: DriverProbe }
  | { kind: 'failed'; error: TunnelError }
  | { kind: 'timeout'; lastError: TunnelError | null };

/**
 * The connectivity test of seed 000 P13-2.4: stop what runs, start the candidate, wait up to
 * `timeoutMs` for a connection, report success with `latency_ms` and `hostname` or the
 * specific error, stop the candidate, and restart what ran before, whether the test passed,
 * failed, threw or timed out. An error the candidate reports (a rejected token) ends the
 * wait at once instead of running into the timeout.
 */
export async function testTunnelConnectivity(
  options: ConnectivityTestOptions,
): Promise<TunnelTestResult> {
  const { candidate, previous } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const hostnameWaitMs = options.hostnameWaitMs ?? 3_000;
  const pollMs = options.pollMs ?? 1_000;
  const wasActive = previous?.isActive ?? false;
  let startedAt = performance.now();
  const elapsed = () => Math.round(performance.now() - startedAt);
  /** The seed's TunnelTestResponse for an outcome. */
  const describe = async (outcome: Outcome): Promise<TunnelTestResult> => {
    switch (outcome.kind) {
      case 'connected': {
        const latency = elapsed();
        const hostnames = outcome.probe.hostnames.length
          ? outcome.probe.hostnames
          : await waitForHostname(candidate, hostnameWaitMs);
        return {
          success: true,
          error: null,
          error_code: null,
          latency_ms: latency,
          hostname: hostnames[0] ?? null,
          tested: 'started',
        };
      }
      case 'failed':
        return {
          success: false,
          error: outcome.error.message,
          error_code: outcome.error.code,
          latency_ms: null,
          hostname: null,
          tested: 'started',
        };
      case 'timeout':
        return {
          success: false,
          error:
            outcome.lastError?.message ??
            `No connection within ${Math.round(timeoutMs / 1000)} s (connection timeout)`,
          error_code: outcome.lastError?.code ?? 'TIMEOUT',
          latency_ms: elapsed(),
          hostname: null,
          tested: 'started',
        };
    }
  };
  try {
    if (wasActive) await previous?.stop();
    // Latency is the candidate's time to connect, not the time the old tunnel took to stop.
    startedAt = performance.now();
    const outcome = await waitForOutcome(candidate, timeoutMs, pollMs);
    return await describe(outcome);
  } finally {
    await candidate.stop().catch(() => undefined);
    if (wasActive) await previous?.start();
  }
}

/** Start the candidate and wait for the first of: connected, an error, an exit, the timeout. */
function waitForOutcome(
  candidate: TunnelDriver,
  timeoutMs: number,
  pollMs: number,
): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    let lastError: TunnelError | null = null;
    let settled = false;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearInterval(poller);
      candidate.events.off('probe', onProbe);
      candidate.events.off('exit', onExit);
      resolve(outcome);
    };
    const onProbe = (probe: DriverProbe) => {
      if (probe.connected) finish({ kind: 'connected', probe });
      else if (probe.error) {
        lastError = probe.error;
        // A bad or refused token will not fix itself; an unreachable edge may, so keep waiting.
        if (!probe.error.retryable || probe.error.code === 'TOKEN_REJECTED') {
          finish({ kind: 'failed', error: probe.error });
        }
      }
    };
    const onExit = (error: TunnelError) => finish({ kind: 'failed', error });
    const deadline = setTimeout(() => finish({ kind: 'timeout', lastError }), timeoutMs);
    const poller = setInterval(() => {
      candidate.status().then(
        (probe) => {
          if (!settled && probe.running) onProbe(probe);
        },
        () => undefined,
      );
    }, pollMs);
    candidate.events.on('probe', onProbe);
    candidate.events.on('exit', onExit);
    candidate.start().catch((cause: unknown) => {
      finish({ kind: 'failed', error: TunnelError.from(cause) });
    });
  });
}

/** The hostname can arrive a moment after the first connection: wait for it briefly. */
function waitForHostname(candidate: TunnelDriver, waitMs: number): Promise<string[]> {
  return new Promise((resolve) => {
    const done = (hostnames: string[]) => {
      clearTimeout(timer);
      candidate.events.off('probe', onProbe);
      resolve(hostnames);
    };
    const onProbe = (probe: DriverProbe) => {
      if (probe.hostnames.length > 0) done(probe.hostnames);
    };
    const timer = setTimeout(() => done([]), waitMs);
    candidate.events.on('probe', onProbe);
  });
}

/** A tunnel that runs now: its driver, its status and its status changes. */
export type LiveTunnel = Pick<TunnelSupervisor, 'driver' | 'status' | 'events'>;

export interface LiveProbeOptions {
  tunnel: LiveTunnel;
  /** How long to wait for a tunnel that is still connecting (seed 000: 30 s). */
  timeoutMs?: number;
}

/**
 * Test a running tunnel where it stands, never stopping or restarting it: wait while it is
 * still connecting (up to `timeoutMs`), probe its data path now (cloudflared: `/ready` of the
 * running process; WireGuard: the relay answers through the tunnel), then dial the app it
 * forwards to where the driver knows it. The answer has the seed's fields: success with the
 * probe's latency and the hostname, or the specific error of whichever step failed.
 */
export async function probeRunningTunnel(options: LiveProbeOptions): Promise<TunnelTestResult> {
  const { tunnel } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const failure = (error: { code: TunnelErrorCode; message: string }): TunnelTestResult => ({
    success: false,
    error: error.message,
    error_code: error.code,
    latency_ms: null,
    hostname: null,
    tested: 'running',
  });
  if (tunnel.status.status === 'connecting') await waitWhileConnecting(tunnel, timeoutMs);
  const status = tunnel.status;
  if (status.status === 'connecting') {
    return failure({
      code: 'TIMEOUT',
      message: `The tunnel is still connecting after ${Math.round(timeoutMs / 1000)} s`,
    });
  }
  if (status.status !== 'connected' && !status.is_running) {
    // Between restarts (backing off) or given up: say why it is down and when it retries.
    return failure({
      code: status.error_code ?? 'PROCESS_EXITED',
      message: `${status.error ?? 'The tunnel is not running'}${status.next_retry_at ? ` (Cloud Connect retries at ${status.next_retry_at})` : ''}`,
    });
  }
  const started = performance.now();
  let probe: DriverProbe;
  try {
    probe = await tunnel.driver.status();
  } catch (cause) {
    return failure(TunnelError.from(cause, 'HEALTH_CHECK_FAILED'));
  }
  const probeMs = performance.now() - started;
  if (!probe.connected) {
    return failure(
      probe.error ??
        (status.error_code && status.error
          ? { code: status.error_code, message: status.error }
          : new TunnelError('HEALTH_CHECK_FAILED', 'The tunnel runs but is not connected now')),
    );
  }
  const targetError = (await tunnel.driver.checkTarget?.()) ?? null;
  if (targetError) return failure(targetError);
  // WireGuard measured the round trip through the tunnel; otherwise the probe's own time.
  const throughTunnel = probe.details?.probe_ms;
  return {
    success: true,
    error: null,
    error_code: null,
    latency_ms: Math.max(
      1,
      Math.round(typeof throughTunnel === 'number' ? throughTunnel : probeMs),
    ),
    hostname: probe.hostnames[0] ?? status.hostname,
    tested: 'running',
  };
}

/** Resolve when the tunnel's status leaves `connecting`, or after `timeoutMs`. */
function waitWhileConnecting(tunnel: LiveTunnel, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      tunnel.events.off('status', onStatus);
      resolve();
    };
    const onStatus = (s: TunnelStatus) => {
      if (s.status !== 'connecting') done();
    };
    const timer = setTimeout(done, timeoutMs);
    tunnel.events.on('status', onStatus);
  });
}
