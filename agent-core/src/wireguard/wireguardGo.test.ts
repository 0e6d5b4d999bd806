import { describe, expect, it } from 'vitest';
import { manualClock } from '../testing/manualClock.js';
import { commandFailure, type RunCommand } from './commandRunner.js';
import { startWireGuardGo, type StartDaemon, type WireGuardGoExit } from './wireguardGo.js';
import type { WireGuardAdvice } from './wireguardError.js';

const ADVICE: WireGuardAdvice = {
  needs: 'the test',
  permission: 'run the test as root',
  nameTaken: (name) => `A WireGuard interface named ${name} already runs; pick another name`,
};

/** A wireguard-go stand-in: running until the test ends it, or exited at once with `output`. */
function standIn(exit: (Partial<WireGuardGoExit> & { output?: string }) | null = null) {
  const record = { started: 0, stopped: 0 };
  const startDaemon: StartDaemon = () => {
    record.started += 1;
    let running = exit === null;
    let end: (info: WireGuardGoExit) => void = () => undefined;
    const exited = new Promise<WireGuardGoExit>((resolve) => (end = resolve));
    const info = { exitCode: 1, signal: null, spawnError: null, ...exit };
    if (!running) end(info);
    return {
      pid: 4242,
      get running() {
        return running;
      },
      exited,
      tail: () => exit?.output ?? '',
      async stop() {
        record.stopped += 1;
        running = false;
        end({ exitCode: null, signal: 'SIGTERM', spawnError: null });
      },
    };
  };
  return { startDaemon, record };
}

/** `wg show <if> listen-port` answers from the `answersFrom`-th call on (never by default). */
function socketRunner(answersFrom = Infinity) {
  let calls = 0;
  const run: RunCommand = async (file, args) => {
    if (file === 'wg' && args[2] === 'listen-port' && ++calls < answersFrom) {
      throw commandFailure(ADVICE, file, args, { stderr: 'No such device', exitCode: 1 });
    }
    return { stdout: '51820\n', stderr: '' };
  };
  return { run, calls: () => calls };
}

const options = (run: RunCommand, startDaemon: StartDaemon) => {
  const clock = manualClock();
  return {
    clock,
    options: {
      name: 'cctest0',
      run,
      advice: ADVICE,
      log: () => undefined,
      startDaemon,
      clock,
      timers: clock,
    },
  };
};

describe('startWireGuardGo', () => {
  it('refuses a name whose control socket already answers, starting nothing', async () => {
    const { startDaemon, record } = standIn();
    const { options: o } = options(socketRunner(1).run, startDaemon);
    await expect(startWireGuardGo(o)).rejects.toMatchObject({
      code: 'INTERFACE_IN_USE',
      message: 'A WireGuard interface named cctest0 already runs; pick another name',
    });
    expect(record.started).toBe(0);
  });

  it('resolves with the running wireguard-go once its control socket answers', async () => {
    const { startDaemon, record } = standIn();
    // Free at the check, then two polls 50 ms apart before the socket answers.
    const { options: o, clock } = options(socketRunner(4).run, startDaemon);
    const started = startWireGuardGo(o);
    await clock.tick(100);
    const daemon = await started;
    expect(daemon.running).toBe(true);
    expect(record).toEqual({ started: 1, stopped: 0 });
  });

  it('gives up with TIMEOUT just after readyTimeoutMs and stops the wireguard-go it started', async () => {
    const { startDaemon, record } = standIn();
    const { options: o, clock } = options(socketRunner().run, startDaemon);
    let outcome: unknown = null;
    const started = startWireGuardGo({ ...o, readyTimeoutMs: 1000 }).catch((e: unknown) => {
      outcome = e;
    });
    await clock.tick(1000);
    expect(outcome).toBeNull();
    await clock.tick(50);
    await started;
    expect(outcome).toMatchObject({
      code: 'TIMEOUT',
      message: 'wireguard-go -f cctest0 did not open its control socket within 1000 ms',
    });
    expect(record).toEqual({ started: 1, stopped: 1 });
  });

  it.each([
    ['ERROR: Failed to create TUN device: operation not permitted', 'PERMISSION_DENIED'],
    ['ERROR: Failed to create TUN device: device or resource busy', 'INTERFACE_IN_USE'],
    ['ERROR: Failed to listen on uapi socket: no such file or directory', 'PROCESS_EXITED'],
  ])('reads an exit with "%s" as %s', async (output, code) => {
    const { startDaemon } = standIn({ output });
    const { options: o } = options(socketRunner().run, startDaemon);
    const err = await startWireGuardGo(o).catch((e: unknown) => e);
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toContain(`wireguard-go -f cctest0 exited (exit 1): ${output}`);
    if (code === 'PERMISSION_DENIED') {
      expect((err as Error).message).toMatch(/; run the test as root and \/dev\/net\/tun$/);
    }
  });

  it('names the package when wireguard-go is not installed', async () => {
    const { startDaemon } = standIn({ spawnError: 'ENOENT', exitCode: null });
    const { options: o } = options(socketRunner().run, startDaemon);
    await expect(startWireGuardGo(o)).rejects.toMatchObject({
      code: 'BINARY_MISSING',
      message: expect.stringMatching(/^wireguard-go is not installed.*apt install wireguard-go/),
    });
  });

  it('tries an exit on its own again, up to `attempts`, 250 ms more apart each time', async () => {
    const { startDaemon, record } = standIn({ output: 'ERROR: lost a race' });
    const { options: o, clock } = options(socketRunner().run, startDaemon);
    const retries: number[] = [];
    let outcome: unknown = null;
    const started = startWireGuardGo({
      ...o,
      attempts: 3,
      onRetry: (_e, attempt) => retries.push(attempt),
    }).catch((e: unknown) => (outcome = e));
    await clock.tick(0);
    expect(retries).toEqual([1]);
    await clock.tick(249);
    expect(record.started).toBe(1);
    await clock.tick(1);
    expect(record.started).toBe(2);
    await clock.tick(500);
    await started;
    expect(record.started).toBe(3);
    expect(retries).toEqual([1, 2]);
    expect(outcome).toMatchObject({ code: 'PROCESS_EXITED' });
  });

  it('does not try again when permission is denied', async () => {
    const { startDaemon, record } = standIn({ output: 'operation not permitted' });
    const { options: o } = options(socketRunner().run, startDaemon);
    await expect(startWireGuardGo({ ...o, attempts: 3 })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
    });
    expect(record.started).toBe(1);
  });

  it('stops the wireguard-go it started when a later check cannot run', async () => {
    const { startDaemon, record } = standIn();
    let calls = 0;
    const run: RunCommand = async (file, args) => {
      calls += 1;
      const stderr = calls === 1 ? 'No such device' : 'Operation not permitted';
      throw commandFailure(ADVICE, file, args, { stderr, exitCode: 1 });
    };
    const { options: o } = options(run, startDaemon);
    await expect(startWireGuardGo(o)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(record).toEqual({ started: 1, stopped: 1 });
  });
});
