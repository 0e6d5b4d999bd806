import { EventEmitter, once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type Result, type ResultPromise } from 'execa';
import type { DriverEventMap, DriverProbe, TunnelDriver } from '../driver.js';
import { TunnelError } from '../tunnelError.js';
import { INVALID_TOKEN_MESSAGE, parseLogLine, type ParsedLogLine } from './logLines.js';
import { exitError, spawnFailure } from './processErrors.js';
import { fetchReadiness, type Readiness } from './readiness.js';
import { redactSecrets, secretsOfToken } from './redaction.js';

export interface CloudflaredDriverOptions {
  /** The tunnel token. It reaches cloudflared only as `TUNNEL_TOKEN` in its environment. */
  token: string;
  /** The cloudflared executable; default `cloudflared` found on PATH. */
  binaryPath?: string;
  /** Extra environment for cloudflared (not for secrets: the token has its own option). */
  env?: Record<string, string>;
  /** Host of the metrics server; default 127.0.0.1 (never expose it beyond loopback). */
  metricsHost?: string;
  /** Port of the metrics server; default a free port picked at every start. */
  metricsPort?: number;
  /** How often `/ready` is polled while the tunnel is not connected; default 500 ms. */
  readyPollMs?: number;
  /**
   * How long `stop()` waits after SIGTERM before SIGKILL; default 30 s, cloudflared's own
   * `--grace-period`, after which it exits by itself anyway.
   */
  stopGraceMs?: number;
}

/** Environment variables cloudflared reads as flags: inherited ones must not change our command. */
const INHERITED_ENV_DROPPED = /^(TUNNEL_|CLOUDFLARED_|CLOUD_CONNECT_SECRET)/;
/** How long to wait, after the process exited, for its last output lines before reporting. */
const TRAILING_OUTPUT_MS = 150;

/** One cloudflared process and what its output and metrics server said about it. */
interface Run {
  readonly subprocess: ResultPromise;
  readonly pid: number;
  readonly metricsAddress: string;
  readonly connections: Set<number>;
  hostnames: string[];
  error: TunnelError | null;
  connected: boolean;
  readyConnections: number;
  connectorId: string | null;
  invalidToken: boolean;
  lastErrorLine: string | null;
  stopping: boolean;
  exited: boolean;
  /** Resolves once the exit has been handled. */
  readonly exitHandled: Promise<void>;
  stopped: Promise<void> | null;
  pollTimer: NodeJS.Timeout | null;
  polling: boolean;
  /** Bumped by log lines about connections, so a /ready answer from before them is not trusted. */
  connectionEpoch: number;
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function childEnvironment(extra: Record<string, string>, token: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !INHERITED_ENV_DROPPED.test(key)) env[key] = value;
  }
  return { ...env, ...extra, TUNNEL_TOKEN: token };
}

/**
 * Runs `cloudflared tunnel --no-autoupdate --metrics 127.0.0.1:<port> run` with the token in
 * `TUNNEL_TOKEN` (argv is readable by every local user). Connection state comes from the
 * metrics server's `/ready`, polled while not connected and on `status()`; hostnames, lost
 * connections and token errors come from the log lines; a process exit is reported at once.
 */
export class CloudflaredDriver implements TunnelDriver {
  readonly kind = 'cloudflared' as const;
  readonly events = new EventEmitter<DriverEventMap>();
  readonly binaryPath: string;

  readonly #token: string;
  readonly #secrets: string[];
  readonly #env: Record<string, string>;
  readonly #metricsHost: string;
  readonly #metricsPort: number | undefined;
  readonly #readyPollMs: number;
  readonly #stopGraceMs: number;
  #run: Run | null = null;
  #starting: Promise<void> | null = null;
  #lastProbeKey = '';
  /** What the last run ended with, for `status()` after an exit. */
  #lastExit: { error: TunnelError | null; hostnames: string[] } = { error: null, hostnames: [] };

  constructor(options: CloudflaredDriverOptions) {
    this.#token = options.token;
    this.#secrets = secretsOfToken(options.token);
    this.binaryPath = options.binaryPath ?? 'cloudflared';
    this.#env = options.env ?? {};
    this.#metricsHost = options.metricsHost ?? '127.0.0.1';
    this.#metricsPort = options.metricsPort;
    this.#readyPollMs = options.readyPollMs ?? 500;
    this.#stopGraceMs = options.stopGraceMs ?? 30_000;
  }

  /** The running cloudflared's process id, or null. */
  get pid(): number | null {
    return this.#run && !this.#run.exited ? this.#run.pid : null;
  }

  /** `host:port` of the running cloudflared's metrics server, or null. */
  get metricsAddress(): string | null {
    return this.#run && !this.#run.exited ? this.#run.metricsAddress : null;
  }

  async start(): Promise<void> {
    if (this.#run && !this.#run.exited) return;
    if (!this.#starting) {
      this.#starting = this.#spawn().finally(() => {
        this.#starting = null;
      });
    }
    return this.#starting;
  }

  async stop(): Promise<void> {
    if (this.#starting) await this.#starting.catch(() => undefined);
    const run = this.#run;
    if (!run || run.exited) return;
    run.stopping = true;
    if (run.pollTimer) clearTimeout(run.pollTimer);
    run.stopped ??= (async () => {
      run.subprocess.kill('SIGTERM');
      const exitedInTime = await Promise.race([
        run.exitHandled.then(() => true),
        sleep(this.#stopGraceMs).then(() => false),
      ]);
      if (!exitedInTime) {
        this.#log('warn', `cloudflared did not stop within ${this.#stopGraceMs} ms; killing it`);
        run.subprocess.kill('SIGKILL');
        await run.exitHandled;
      }
    })();
    await run.stopped;
  }

  async status(): Promise<DriverProbe> {
    const run = this.#run;
    if (!run || run.exited || run.stopping) return this.#probe(null);
    const epoch = run.connectionEpoch;
    const readiness = await fetchReadiness(run.metricsAddress);
    if (!run.exited && !run.stopping && epoch === run.connectionEpoch) {
      this.#applyReadiness(run, readiness);
    }
    return this.#probe(run.exited ? null : run);
  }

  async #spawn(): Promise<void> {
    const port = this.#metricsPort ?? (await freePort(this.#metricsHost));
    const metricsAddress = `${this.#metricsHost}:${port}`;
    const subprocess = execa(
      this.binaryPath,
      ['tunnel', '--no-autoupdate', '--metrics', metricsAddress, 'run'],
      {
        env: childEnvironment(this.#env, this.#token),
        extendEnv: false,
        stdin: 'ignore',
        stdout: 'pipe',
        stderr: 'pipe',
        buffer: false,
        reject: false,
        forceKillAfterDelay: false,
        cleanup: true,
        windowsHide: true,
      },
    );
    const spawned = await new Promise<true | Result>((resolve) => {
      // execa 10's subprocess is a promise, not a ChildProcess: its events are on nodeChildProcess.
      subprocess.nodeChildProcess.once('spawn', () => resolve(true));
      void subprocess.then(resolve);
    });
    if (spawned !== true || subprocess.pid === undefined) {
      const failure = spawned === true ? await subprocess : spawned;
      throw spawnFailure(failure, this.binaryPath, this.#secrets);
    }

    let markExitHandled: () => void = () => undefined;
    const run: Run = {
      subprocess,
      pid: subprocess.pid,
      metricsAddress,
      connections: new Set(),
      hostnames: [],
      error: null,
      connected: false,
      readyConnections: 0,
      connectorId: null,
      invalidToken: false,
      lastErrorLine: null,
      stopping: false,
      exited: false,
      exitHandled: new Promise<void>((resolve) => {
        markExitHandled = resolve;
      }),
      stopped: null,
      pollTimer: null,
      polling: false,
      connectionEpoch: 0,
    };
    this.#run = run;
    this.#lastProbeKey = '';

    const readers = [subprocess.stdout, subprocess.stderr].map((stream) => {
      const reader = createInterface({ input: stream, crlfDelay: Infinity });
      reader.on('line', (line) => this.#onLine(run, line));
      return once(reader, 'close');
    });
    subprocess.nodeChildProcess.once('exit', (exitCode, signal) => {
      // The last lines (e.g. the invalid-token message) may still be in the pipe.
      void Promise.race([Promise.all(readers), sleep(TRAILING_OUTPUT_MS)]).then(() => {
        this.#onExit(run, exitCode, signal);
        markExitHandled();
      });
    });

    this.#log('info', `cloudflared started (pid ${run.pid}, metrics on ${metricsAddress})`);
    this.#schedulePoll(run, 0);
  }

  #onLine(run: Run, raw: string): void {
    if (raw.trim() === '') return;
    const line = redactSecrets(raw, this.#secrets);
    const parsed = parseLogLine(line);
    this.events.emit('log', { level: parsed.level, message: parsed.text, at: new Date() });
    if (parsed.level === 'error') run.lastErrorLine = parsed.text;
    if (run.exited) return;
    this.#applyLogEvent(run, parsed);
  }

  #applyLogEvent(run: Run, parsed: ParsedLogLine): void {
    const event = parsed.event;
    switch (event.kind) {
      case 'registered':
        run.connections.add(event.connIndex);
        run.connectionEpoch++;
        this.#schedulePoll(run, 0);
        break;
      case 'connectionLost':
        run.connections.delete(event.connIndex);
        run.connectionEpoch++;
        if (run.connections.size === 0 && run.connected) {
          run.connected = false;
          run.readyConnections = 0;
        }
        this.#schedulePoll(run, 0);
        break;
      case 'configuration':
        run.hostnames = event.hostnames;
        break;
      case 'invalidToken':
        run.invalidToken = true;
        run.error = new TunnelError('INVALID_TOKEN', INVALID_TOKEN_MESSAGE);
        break;
      case 'edgeRejected':
        run.error = new TunnelError(
          'TOKEN_REJECTED',
          `The Cloudflare edge rejected the tunnel token: ${event.reason}`,
          { reason: event.reason },
        );
        break;
      case 'edgeUnreachable':
        if (!run.connected && run.error?.code !== 'TOKEN_REJECTED') {
          run.error = new TunnelError(
            'UNREACHABLE',
            `The Cloudflare edge cannot be reached: ${event.reason}`,
            { reason: event.reason },
          );
        }
        break;
      case 'exiting':
      case 'other':
        break;
    }
    this.#emitProbeIfChanged(run);
  }

  #onExit(run: Run, exitCode: number | null, signal: NodeJS.Signals | null): void {
    run.exited = true;
    if (run.pollTimer) clearTimeout(run.pollTimer);
    run.connected = false;
    run.connections.clear();
    const error = run.stopping
      ? null
      : exitError({
          exitCode,
          signal,
          invalidToken: run.invalidToken,
          reported: run.error,
          lastErrorLine: run.lastErrorLine,
        });
    this.#lastExit = { error, hostnames: run.hostnames };
    if (error) {
      this.#log('error', error.message);
      this.events.emit('exit', error);
    } else {
      this.#log('info', 'cloudflared stopped');
    }
  }

  #schedulePoll(run: Run, delayMs: number): void {
    if (run.exited || run.stopping) return;
    if (run.pollTimer) clearTimeout(run.pollTimer);
    run.pollTimer = setTimeout(() => {
      run.pollTimer = null;
      void this.#poll(run);
    }, delayMs);
  }

  async #poll(run: Run): Promise<void> {
    if (run.polling) {
      // One request at a time; ask again right after the one in flight.
      this.#schedulePoll(run, 20);
      return;
    }
    run.polling = true;
    const epoch = run.connectionEpoch;
    const readiness = await fetchReadiness(run.metricsAddress, 2_000);
    run.polling = false;
    if (run.exited || run.stopping) return;
    if (epoch !== run.connectionEpoch) {
      // Log lines changed the connections meanwhile: this answer may predate them.
      this.#schedulePoll(run, 0);
      return;
    }
    this.#applyReadiness(run, readiness);
    if (!run.connected) this.#schedulePoll(run, this.#readyPollMs);
  }

  #applyReadiness(run: Run, readiness: Readiness | null): void {
    run.connected = readiness?.ready ?? false;
    run.readyConnections = readiness?.readyConnections ?? 0;
    if (readiness?.connectorId) run.connectorId = readiness.connectorId;
    // Traffic flows: earlier connection errors are history, but a bad token stays reported.
    if (run.connected && run.error?.retryable) run.error = null;
    this.#emitProbeIfChanged(run);
  }

  #probe(run: Run | null): DriverProbe {
    if (!run) {
      return {
        running: false,
        connected: false,
        hostnames: this.#lastExit.hostnames,
        error: this.#lastExit.error,
        details: { connections: 0, readyConnections: 0, pid: null, metrics: null },
      };
    }
    return {
      running: true,
      connected: run.connected,
      hostnames: run.hostnames,
      error: run.error,
      details: {
        connections: run.connections.size,
        readyConnections: run.readyConnections,
        connectorId: run.connectorId,
        pid: run.pid,
        metrics: run.metricsAddress,
      },
    };
  }

  #emitProbeIfChanged(run: Run): void {
    const probe = this.#probe(run);
    const key = JSON.stringify({ ...probe, error: probe.error?.toJSON() ?? null });
    if (key === this.#lastProbeKey) return;
    this.#lastProbeKey = key;
    this.events.emit('probe', probe);
  }

  #log(level: 'info' | 'warn' | 'error', message: string): void {
    this.events.emit('log', {
      level,
      message: redactSecrets(message, this.#secrets),
      at: new Date(),
    });
  }
}
