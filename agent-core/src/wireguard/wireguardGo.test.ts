import { describe, expect, it } from 'vitest';
import { manualClock } from '../testing/manualClock.js';
import { controlSocketRunner, wireGuardGoStandIn } from '../testing/wireGuardGoStandIn.js';
import { commandFailure, type RunCommand } from './commandRunner.js';
import { startWireGuardGo, type StartDaemon } from './wireguardGo.js';
import type { WireGuardAdvice } from './wireguardError.js';

const ADVICE: WireGuardAdvice = {
  needs: 'the test',
  permission: 'run the test as root',
  nameTaken: (name) => `A WireGuard interface named ${name} already runs; pick another name`,
};

/** `wg show <if> listen-port` answers from the `answersFrom`-th call on (never by default). */
const socketRunner = (answersFrom?: number) => controlSocketRunner(ADVICE, answersFrom);

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
    const { startDaemon, record } = wireGuardGoStandIn();
    const { options: o } = options(socketRunner(1).run, startDaemon);
    await expect(startWireGuardGo(o)).rejects.toMatchObject({
      code: 'INTERFACE_IN_USE',
      message: 'A WireGuard interface named cctest0 already runs; pick another name',
    });
    expect(record.started).toBe(0);
  });

  it('resolves with the running wireguard-go once its control socket answers', async () => {
    const { startDaemon, record } = wireGuardGoStandIn();
    // Free at the check, then two polls 50 ms apart before the socket answers.
    const { options: o, clock } = options(socketRunner(4).run, startDaemon);
    const started = startWireGuardGo(o);
    await clock.tick(100);
    const daemon = await started;
    expect(daemon.running).toBe(true);
    expect(record).toEqual({ started: 1, stopped: 0 });
  });

  it('gives up with TIMEOUT just after readyTimeoutMs and stops the wireguard-go it started', async () => {
    const { startDaemon, record } = wireGuardGoStandIn();
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
    const { startDaemon } = wireGuardGoStandIn({ output });
    const { options: o } = options(socketRunner().run, startDaemon);
    const err = await startWireGuardGo(o).catch((e: unknown) => e);
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toContain(`wireguard-go -f cctest0 exited (exit 1): ${output}`);
    if (code === 'PERMISSION_DENIED') {
      expect((err as Error).message).toMatch(/; run the test as root and \/dev\/net\/tun$/);
    }
  });

  it('names the package when wireguard-go is not installed', async () => {
    const { startDaemon } = wireGuardGoStandIn({ spawnError: 'ENOENT', exitCode: null });
    const { options: o } = options(socketRunner().run, startDaemon);
    await expect(startWireGuardGo(o)).rejects.toMatchObject({
      code: 'BINARY_MISSING',
      message: expect.stringMatching(/^wireguard-go is not installed.*apt install wireguard-go/),
    });
  });

  it('tries an exit on its own again, up to `attempts`, 250 ms more apart each time', async () => {
    const { startDaemon, record } = wireGuardGoStandIn({ output: 'ERROR: lost a race' });
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
    const { startDaemon, record } = wireGuardGoStandIn({ output: 'operation not permitted' });
    const { options: o } = options(socketRunner().run, startDaemon);
    await expect(startWireGuardGo({ ...o, attempts: 3 })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
    });
    expect(record.started).toBe(1);
  });

  it('stops the wireguard-go it started when a later check cannot run', async () => {
    const { startDaemon, record } = wireGuardGoStandIn();
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
