import {
  commandFailure,
  type RunCommand,
  type StartDaemon,
  type WireGuardAdvice,
  type WireGuardGoExit,
} from '../wireguard/index.js';

/**
 * A wireguard-go stand-in for `startWireGuardGo`'s `startDaemon`: running until the test ends
 * it, or exited at once with `output`. `record` counts the starts and stops.
 */
export function wireGuardGoStandIn(
  exit: (Partial<WireGuardGoExit> & { output?: string }) | null = null,
) {
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

/**
 * A command runner whose `wg show <if> listen-port` answers from the `answersFrom`-th call on
 * (never by default), failing before that as `wg` does for an interface that is not there.
 */
export function controlSocketRunner(advice: WireGuardAdvice, answersFrom = Infinity) {
  let calls = 0;
  const run: RunCommand = async (file, args) => {
    if (file === 'wg' && args[2] === 'listen-port' && ++calls < answersFrom) {
      throw commandFailure(advice, file, args, { stderr: 'No such device', exitCode: 1 });
    }
    return { stdout: '51820\n', stderr: '' };
  };
  return { run, calls: () => calls };
}
