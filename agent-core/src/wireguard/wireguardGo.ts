import { execa } from 'execa';
import { systemClock, systemTimers, type Clock, type Timers } from '../time/clock.js';
import { interfaceAnswers, missingBinary, type RunCommand } from './commandRunner.js';
import { WireGuardError, type WireGuardAdvice } from './wireguardError.js';
import { createLineSplitter, wireGuardGoLineLevel } from './wireguardGoOutput.js';

/** How a wireguard-go process ended; `spawnError` is set when it never started (ENOENT). */
export interface WireGuardGoExit {
  exitCode: number | null;
  signal: string | null;
  spawnError: string | null;
}

/** A running `wireguard-go -f <if>`: a tracked child of this process. */
export interface WireGuardDaemon {
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Resolves when the process is gone. */
  readonly exited: Promise<WireGuardGoExit>;
  /** The last lines it printed (its start-up banner left out), for error messages. */
  tail(): string;
  /** SIGTERM, SIGKILL after `timeoutMs`; resolves once it has exited. */
  stop(timeoutMs?: number): Promise<void>;
}

/** A line wireguard-go printed: stdout at info, stderr at warn, its banner at debug. */
export type WireGuardGoLog = (level: 'debug' | 'info' | 'warn', line: string) => void;

export type StartDaemon = (ifName: string, log: WireGuardGoLog) => WireGuardDaemon;

/**
 * Spawn `wireguard-go -f <if>` in the foreground, so it lives and dies with this process
 * (execa's `cleanup` kills it if we exit) and is never a daemon nobody tracks. It gets a minimal
 * environment: our own secrets stay out of its /proc/<pid>/environ.
 */
export const spawnWireGuardGo: StartDaemon = (ifName, log) => {
  const sub = execa('wireguard-go', ['-f', ifName], {
    reject: false,
    buffer: false,
    stdin: 'ignore',
    cleanup: true,
    extendEnv: false,
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LOG_LEVEL: 'error' },
  });
  const lines: string[] = [];
  let running = true;
  const onLine = (given: 'info' | 'warn') => (line: string) => {
    if (!line.trim()) return;
    // The start-up banner is advice for a terminal, not a problem with the interface.
    const level = wireGuardGoLineLevel(line, given);
    if (level !== 'debug') {
      lines.push(line);
      if (lines.length > 40) lines.shift();
    }
    log(level, line);
  };
  // One splitter per stream: a line cut across two reads is classified whole.
  for (const [stream, level] of [
    [sub.stdout, 'info'],
    [sub.stderr, 'warn'],
  ] as const) {
    const split = createLineSplitter();
    stream?.on('data', (chunk: Buffer) => split.push(chunk).forEach(onLine(level)));
    stream?.on('end', () => split.flush().forEach(onLine(level)));
  }
  const exited = sub.then((r): WireGuardGoExit => {
    running = false;
    return {
      exitCode: r.exitCode ?? null,
      signal: r.signal ?? null,
      spawnError:
        r.failed && r.exitCode === undefined && !r.signal
          ? ((r as { code?: string }).code ?? 'spawn failed')
          : null,
    };
  });
  return {
    pid: sub.pid,
    get running() {
      return running;
    },
    exited,
    tail: () => lines.join('\n'),
    async stop(timeoutMs = 5000) {
      if (!running) return void (await exited);
      sub.kill('SIGTERM');
      const force = setTimeout(() => running && sub.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(force);
    },
  };
};

export interface StartWireGuardGoOptions {
  name: string;
  run: RunCommand;
  advice: WireGuardAdvice;
  log: WireGuardGoLog;
  /** How the process is started (tests pass a stand-in); `spawnWireGuardGo` by default. */
  startDaemon?: StartDaemon;
  /** How long to wait for the control socket; default 10 s. */
  readyTimeoutMs?: number;
  /**
   * Starts to try (default 1). A start where wireguard-go exits on its own for another reason
   * than a missing binary, no permission or a name in use (e.g. it lost a race in the
   * control-socket directory every namespace shares), or never opens its socket, is tried again.
   */
  attempts?: number;
  /**
   * The code of an exit whose output says the name is taken (`in use|busy|exists`):
   * INTERFACE_IN_USE by default, which is not tried again; PROCESS_EXITED reads it as any other
   * exit (the agent's tunnel status has always said PROCESS_EXITED for it).
   */
  inUseExit?: 'INTERFACE_IN_USE' | 'PROCESS_EXITED';
  /** Told before each further attempt, with the failure that caused it. */
  onRetry?: (failure: WireGuardError, attempt: number) => void;
  clock?: Clock;
  timers?: Timers;
}

/**
 * Start wireguard-go for `name` and resolve once its control socket answers (`wg` can configure
 * it). Rejects with a WireGuardError that says what to fix; a wireguard-go this call started is
 * always stopped again before it rejects, so none is left behind untracked.
 */
export async function startWireGuardGo(options: StartWireGuardGoOptions): Promise<WireGuardDaemon> {
  const attempts = options.attempts ?? 1;
  const timers = options.timers ?? systemTimers;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (e) {
      const again =
        e instanceof WireGuardError && (e.code === 'PROCESS_EXITED' || e.code === 'TIMEOUT');
      if (!again || attempt >= attempts) throw e;
      options.onRetry?.(e, attempt);
      await sleep(timers, 250 * attempt);
    }
  }
}

const sleep = (timers: Timers, ms: number) =>
  new Promise<void>((resolve) => timers.setTimeout(resolve, ms));

async function startOnce(options: StartWireGuardGoOptions): Promise<WireGuardDaemon> {
  const { name, run, advice } = options;
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? systemTimers;
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  // Control sockets (/var/run/wireguard/<name>.sock) are shared by every namespace: never take
  // over a name that is in use.
  if (await interfaceAnswers(run, name)) {
    throw new WireGuardError('INTERFACE_IN_USE', advice.nameTaken(name));
  }
  const daemon = (options.startDaemon ?? spawnWireGuardGo)(name, options.log);
  const deadline = clock.now().getTime() + readyTimeoutMs;
  try {
    for (;;) {
      if (!daemon.running) throw exitFailure(options, await daemon.exited, daemon.tail());
      if (await interfaceAnswers(run, name)) return daemon;
      if (clock.now().getTime() > deadline) {
        throw new WireGuardError(
          'TIMEOUT',
          advice.notReady?.(name, readyTimeoutMs) ??
            `wireguard-go -f ${name} did not open its control socket within ${readyTimeoutMs} ms`,
        );
      }
      await sleep(timers, 50);
    }
  } catch (e) {
    // Never leave a half-started wireguard-go behind: the caller gets an error, not a process.
    await daemon.stop();
    throw e;
  }
}

/** Why wireguard-go exited before its interface was up. */
function exitFailure(
  { name, advice, inUseExit = 'INTERFACE_IN_USE' }: StartWireGuardGoOptions,
  exit: WireGuardGoExit,
  output: string,
): WireGuardError {
  if (exit.spawnError === 'ENOENT') return missingBinary(advice, 'wireguard-go');
  const code = /not permitted|permission denied/i.test(output)
    ? 'PERMISSION_DENIED'
    : /in use|busy|exists/i.test(output)
      ? inUseExit
      : 'PROCESS_EXITED';
  return new WireGuardError(
    code,
    `wireguard-go -f ${name} exited (${exit.spawnError ?? exit.signal ?? `exit ${exit.exitCode}`}): ${output || 'no output'}${code === 'PERMISSION_DENIED' ? `; ${advice.permission} and /dev/net/tun` : ''}`,
  );
}
