import { EventEmitter } from 'node:events';
import {
  systemClock,
  systemTimers,
  type Clock,
  type TimerHandle,
  type Timers,
} from '../../time/clock.js';
import type { DriverLogLine, DriverProbe, TunnelDriver } from '../driver.js';
import type { TunnelState, TunnelStatus } from '../status.js';
import { TunnelError } from '../tunnelError.js';
import { backoffDelay, backoffPolicy, type BackoffPolicy } from './backoff.js';

export interface TunnelSupervisorOptions {
  /** How often a running tunnel is probed (seed 000: 30 s). */
  healthCheckIntervalMs?: number;
  /**
   * How long a running tunnel may stay unconnected (starting, or after losing its
   * connections) before it is restarted. cloudflared reconnects by itself for up to ~1 min
   * and `/ready` stays 503 meanwhile, so this must not be short. Default 90 s.
   */
  readyGraceMs?: number;
  /** A connection that lasted this long resets the backoff to its first step. Default 60 s. */
  stableAfterMs?: number;
  backoff?: Partial<BackoffPolicy>;
  /** Time source for uptime, retry times and the grace period (tests pass a manual one). */
  clock?: Clock;
  /** Timers for retries, health checks and the grace period (tests pass a manual one). */
  timers?: Timers;
  /** Random source for the jitter, in [0, 1). */
  random?: () => number;
}

export interface SupervisorEventMap {
  /** The full status, on every change. */
  status: [TunnelStatus];
  /** The driver's log lines and the supervisor's own. */
  log: [DriverLogLine];
}

/**
 * idle: not started or stopped; starting: driver.start() in flight; running: started;
 * backoff: waiting to restart after a failure; failed: a permanent error, no more restarts.
 */
type Phase = 'idle' | 'starting' | 'running' | 'backoff' | 'failed';
type TimerName = 'retry' | 'health' | 'grace' | 'stable';

/**
 * Keeps one tunnel up: starts its driver, health-checks it, restarts it with exponential
 * backoff and jitter when it exits or stays unconnected past a grace period, gives up on
 * permanent errors, and reports a `TunnelStatus` (seed 000's TunnelStatusResponse fields)
 * on every change.
 */
export class TunnelSupervisor {
  readonly events = new EventEmitter<SupervisorEventMap>();
  readonly driver: TunnelDriver;

  readonly #healthCheckIntervalMs: number;
  readonly #readyGraceMs: number;
  readonly #stableAfterMs: number;
  readonly #policy: BackoffPolicy;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #random: () => number;

  #phase: Phase = 'idle';
  #probe: DriverProbe | null = null;
  /** Why the tunnel is down while backing off or failed. */
  #error: TunnelError | null = null;
  #hostnames: string[] = [];
  #connectedSince: number | null = null;
  #lastConnected: number | null = null;
  /** Since when a started tunnel has not been connected. */
  #downSince: number | null = null;
  #reconnectCount = 0;
  /** Consecutive failures: the exponent of the next backoff delay. */
  #attempt = 0;
  #nextRetryAt: number | null = null;
  /** Bumped by start() and stop(): async work of an older session must not act. */
  #session = 0;
  /** Bumped by every driver start: a health answer about an earlier process must not act. */
  #launchId = 0;
  #starting: Promise<void> | null = null;
  #pending: Record<TimerName, TimerHandle | null> = {
    retry: null,
    health: null,
    grace: null,
    stable: null,
  };
  #lastStatusKey = '';

  constructor(driver: TunnelDriver, options: TunnelSupervisorOptions = {}) {
    this.driver = driver;
    this.#healthCheckIntervalMs = options.healthCheckIntervalMs ?? 30_000;
    this.#readyGraceMs = options.readyGraceMs ?? 90_000;
    this.#stableAfterMs = options.stableAfterMs ?? 60_000;
    this.#policy = backoffPolicy(options.backoff);
    this.#clock = options.clock ?? systemClock;
    this.#timers = options.timers ?? systemTimers;
    this.#random = options.random ?? Math.random;
    driver.events.on('probe', (probe) => this.#applyProbe(probe));
    driver.events.on('exit', (error) => {
      if (this.#phase !== 'starting' && this.#phase !== 'running') return;
      // A revoked token or a missing program stays so after a restart: stop and say why.
      if (error.retryable) void this.#recover(error);
      else void this.#fail(error);
    });
    driver.events.on('log', (line) => this.events.emit('log', line));
  }

  /** Started by the user and not given up: running, starting or waiting to restart. */
  get isActive(): boolean {
    return this.#phase === 'starting' || this.#phase === 'running' || this.#phase === 'backoff';
  }

  /** The status now (uptime computed at the call). */
  get status(): TunnelStatus {
    const now = this.#now();
    const live = this.#phase === 'starting' || this.#phase === 'running';
    const connected = live && this.#connectedSince !== null;
    let error: TunnelError | null = null;
    if (live) error = connected ? null : (this.#probe?.error ?? null);
    else if (this.#phase !== 'idle') error = this.#error;
    let state: TunnelState;
    if (this.#phase === 'idle') state = 'disconnected';
    else if (!live) state = 'error';
    else if (connected) state = 'connected';
    else state = error ? 'error' : 'connecting';
    return {
      status: state,
      is_connected: connected,
      is_running: this.#phase === 'running' && (this.#probe?.running ?? true),
      hostname: this.#hostnames[0] ?? null,
      error: error?.message ?? null,
      uptime_seconds:
        connected && this.#connectedSince !== null ? (now - this.#connectedSince) / 1000 : 0,
      last_connected:
        this.#lastConnected !== null ? new Date(this.#lastConnected).toISOString() : null,
      reconnect_count: this.#reconnectCount,
      kind: this.driver.kind,
      hostnames: [...this.#hostnames],
      error_code: error?.code ?? null,
      next_retry_at: this.#nextRetryAt !== null ? new Date(this.#nextRetryAt).toISOString() : null,
      details: { ...(this.#probe?.details ?? {}) },
    };
  }

  /**
   * Start supervising. Idempotent while active; after a permanent error it starts afresh.
   * Never rejects: failures show in the status (P13-2.2: a failed start is logged, not thrown).
   */
  async start(): Promise<TunnelStatus> {
    if (this.#phase === 'starting' && this.#starting) await this.#starting;
    if (this.isActive) return this.status;
    this.#session++;
    this.#attempt = 0;
    this.#error = null;
    await this.#launch(this.#session, false);
    return this.status;
  }

  /** Stop supervising: cancel every timer and stop the driver; nothing is left running. */
  async stop(): Promise<TunnelStatus> {
    this.#session++;
    this.#phase = 'idle';
    this.#clearTimers();
    this.#nextRetryAt = null;
    this.#connectedSince = null;
    this.#downSince = null;
    this.#probe = null;
    this.#error = null;
    this.#hostnames = [];
    try {
      await this.driver.stop();
    } catch (cause) {
      this.#log('error', `Stopping the tunnel failed: ${TunnelError.from(cause).message}`);
    }
    this.#emitStatus();
    return this.status;
  }

  /** Probe the driver now and act on the answer (the periodic health check calls this). */
  async checkHealth(): Promise<TunnelStatus> {
    if (this.#phase !== 'running') return this.status;
    const launchId = this.#launchId;
    let probe: DriverProbe;
    try {
      probe = await this.driver.status();
    } catch (cause) {
      const error = TunnelError.from(cause, 'HEALTH_CHECK_FAILED');
      probe = { running: true, connected: false, hostnames: [], error };
    }
    if (launchId !== this.#launchId || this.#phase !== 'running') return this.status;
    if (!probe.running) {
      await this.#recover(
        probe.error ?? new TunnelError('PROCESS_EXITED', `${this.driver.kind} is not running`),
      );
      return this.status;
    }
    this.#applyProbe(probe);
    const now = this.#now();
    if (
      this.#phase === 'running' &&
      !probe.connected &&
      this.#downSince !== null &&
      now - this.#downSince >= this.#readyGraceMs
    ) {
      const seconds = Math.round((now - this.#downSince) / 1000);
      await this.#recover(
        probe.error ??
          new TunnelError(
            'HEALTH_CHECK_FAILED',
            `The ${this.driver.kind} tunnel has not been connected for ${seconds} s`,
            { downForMs: now - this.#downSince },
          ),
      );
    }
    return this.status;
  }

  /** Start the driver (first start or a restart after backoff). */
  async #launch(session: number, isRestart: boolean): Promise<void> {
    if (session !== this.#session) return;
    this.#launchId++;
    this.#phase = 'starting';
    this.#nextRetryAt = null;
    this.#probe = null;
    this.#connectedSince = null;
    this.#downSince = this.#now();
    if (isRestart) this.#reconnectCount++;
    this.#emitStatus();
    // An async wrapper turns a driver that throws synchronously into a rejection too.
    const starting = (async () => this.driver.start())();
    this.#starting = starting.then(
      () => undefined,
      () => undefined,
    );
    try {
      await starting;
    } catch (cause) {
      if (session !== this.#session || this.#phase !== 'starting') return;
      const error = TunnelError.from(cause);
      if (error.retryable) await this.#recover(error);
      else await this.#fail(error);
      return;
    }
    if (session !== this.#session) {
      // stop() ran while the driver was starting: make sure nothing stays up.
      await this.driver.stop().catch(() => undefined);
      return;
    }
    if (this.#phase !== 'starting') return; // it exited meanwhile and recovery took over
    this.#phase = 'running';
    this.#armHealthCheck(session);
    if (this.#connectedSince === null) this.#armGrace(session);
    this.#emitStatus();
  }

  #applyProbe(probe: DriverProbe): void {
    if (this.#phase !== 'starting' && this.#phase !== 'running') return;
    this.#probe = probe;
    if (probe.hostnames.length > 0) this.#hostnames = [...probe.hostnames];
    if (probe.error && !probe.error.retryable) {
      void this.#fail(probe.error);
      return;
    }
    const now = this.#now();
    if (probe.connected && this.#connectedSince === null) {
      this.#connectedSince = now;
      this.#lastConnected = now;
      this.#downSince = null;
      this.#error = null;
      this.#clearTimer('grace');
      const session = this.#session;
      this.#setTimer('stable', this.#stableAfterMs, () => {
        if (session === this.#session && this.#connectedSince !== null) this.#attempt = 0;
      });
      this.#log('info', `Tunnel connected${probe.hostnames[0] ? ` (${probe.hostnames[0]})` : ''}`);
    } else if (!probe.connected && this.#connectedSince !== null) {
      this.#connectedSince = null;
      this.#downSince = now;
      this.#clearTimer('stable');
      if (this.#phase === 'running') this.#armGrace(this.#session);
      this.#log('warn', 'Tunnel lost its connection; waiting for it to reconnect');
    }
    this.#emitStatus();
  }

  /** A retryable failure: report it, stop the driver, restart after the backoff delay. */
  async #recover(error: TunnelError): Promise<void> {
    const session = this.#session;
    this.#phase = 'backoff';
    this.#error = error;
    this.#probe = null;
    this.#connectedSince = null;
    this.#downSince = null;
    this.#clearTimers();
    const delay = backoffDelay(this.#attempt, this.#policy, this.#random);
    this.#attempt++;
    this.#nextRetryAt = this.#now() + delay;
    this.#emitStatus();
    this.#log('warn', `${error.message}; restarting in ${(delay / 1000).toFixed(1)} s`);
    try {
      await this.driver.stop();
    } catch (cause) {
      this.#log('error', `Stopping the tunnel failed: ${TunnelError.from(cause).message}`);
    }
    if (session !== this.#session || this.#phase !== 'backoff') return;
    const remaining = Math.max(0, this.#nextRetryAt - this.#now());
    this.#setTimer('retry', remaining, () => void this.#launch(session, true));
  }

  /** A permanent error: report it and stop for good (until the user starts again). */
  async #fail(error: TunnelError): Promise<void> {
    this.#phase = 'failed';
    this.#error = error;
    this.#probe = null;
    this.#connectedSince = null;
    this.#downSince = null;
    this.#nextRetryAt = null;
    this.#clearTimers();
    this.#emitStatus();
    this.#log('error', `${error.message} (not retrying)`);
    try {
      await this.driver.stop();
    } catch (cause) {
      this.#log('error', `Stopping the tunnel failed: ${TunnelError.from(cause).message}`);
    }
  }

  #armHealthCheck(session: number): void {
    this.#setTimer('health', this.#healthCheckIntervalMs, () => {
      void this.checkHealth().then(() => {
        if (session === this.#session && this.#phase === 'running') this.#armHealthCheck(session);
      });
    });
  }

  /** Check again when the grace period of an unconnected tunnel runs out. */
  #armGrace(session: number): void {
    const since = this.#downSince ?? this.#now();
    const wait = Math.max(0, since + this.#readyGraceMs - this.#now());
    this.#setTimer('grace', wait, () => {
      if (session === this.#session) void this.checkHealth();
    });
  }

  #now(): number {
    return this.#clock.now().getTime();
  }

  #setTimer(name: TimerName, ms: number, callback: () => void): void {
    this.#clearTimer(name);
    this.#pending[name] = this.#timers.setTimeout(() => {
      this.#pending[name] = null;
      callback();
    }, ms);
  }

  #clearTimer(name: TimerName): void {
    this.#timers.clearTimeout(this.#pending[name]);
    this.#pending[name] = null;
  }

  #clearTimers(): void {
    for (const name of Object.keys(this.#pending) as TimerName[]) this.#clearTimer(name);
  }

  #emitStatus(): void {
    const status = this.status;
    const key = JSON.stringify({ ...status, uptime_seconds: 0 });
    if (key === this.#lastStatusKey) return;
    this.#lastStatusKey = key;
    this.events.emit('status', status);
  }

  #log(level: DriverLogLine['level'], message: string): void {
    this.events.emit('log', { level, message, at: this.#clock.now() });
  }
}
