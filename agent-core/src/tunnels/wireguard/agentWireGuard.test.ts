import { describe, expect, it } from 'vitest';
import { manualClock } from '../../testing/manualClock.js';
import { controlSocketRunner, wireGuardGoStandIn } from '../../testing/wireGuardGoStandIn.js';
import { TunnelError } from '../tunnelError.js';
import { AGENT_ADVICE, startAgentWireGuardGo, tunnelErrorFromWireGuard } from './agentWireGuard.js';

/** What the agent's tunnel reports when its wireguard-go fails to start as `exit` says. */
async function startFailure(exit: Parameters<typeof wireGuardGoStandIn>[0], readyTimeoutMs = 1000) {
  const clock = manualClock();
  const { startDaemon, record } = wireGuardGoStandIn(exit);
  const started = startAgentWireGuardGo({
    name: 'ccagent0',
    run: controlSocketRunner(AGENT_ADVICE).run,
    log: () => undefined,
    startDaemon,
    readyTimeoutMs,
    clock,
    timers: clock,
  }).then(
    () => null,
    (e: unknown) => tunnelErrorFromWireGuard(e),
  );
  await clock.tick(readyTimeoutMs + 50);
  return { error: await started, record };
}

// The agent's tunnel status codes and wording from before the WireGuard primitives were shared.
describe("the agent's wireguard-go start failures", () => {
  it.each([
    ['ERROR: Failed to create TUN device: device or resource busy'],
    ['ERROR: interface ccagent0 already in use'],
    ['ERROR: Failed to listen on uapi socket: no such file or directory'],
  ])('reads an exit with "%s" as PROCESS_EXITED', async (output) => {
    const { error, record } = await startFailure({ output });
    expect(error).toBeInstanceOf(TunnelError);
    expect(error).toMatchObject({
      code: 'PROCESS_EXITED',
      message: `wireguard-go -f ccagent0 exited (exit 1): ${output}`,
    });
    expect(record.started).toBe(1);
  });

  it('reads an exit with no permission as PERMISSION_DENIED, with what the tunnel needs', async () => {
    const { error } = await startFailure({ output: 'operation not permitted' });
    expect(error).toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringMatching(
        /the WireGuard tunnel needs root or CAP_NET_ADMIN and \/dev\/net\/tun$/,
      ),
    });
  });

  it('says a control socket that never opened did not open "in time", as TIMEOUT', async () => {
    const { error, record } = await startFailure(null);
    expect(error).toMatchObject({
      code: 'TIMEOUT',
      message: 'wireguard-go -f ccagent0 did not open its control socket in time',
    });
    expect(record).toEqual({ started: 1, stopped: 1 });
  });
});
