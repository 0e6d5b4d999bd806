import type { ConnectionView } from '../desktop/desktopApi.js';
import { isPermanentTunnelError } from '../tunnels/tunnelError.js';
import type { CliContext } from './context.js';
import { hintFor, unwrap, type Io } from './output.js';

function describe(c: ConnectionView): string {
  const s = c.status;
  switch (s.status) {
    case 'connected':
      return `Connected${s.hostname ? `: https://${s.hostname}` : ''}${s.reconnect_count ? ` (reconnects: ${s.reconnect_count})` : ''}`;
    case 'connecting':
      return 'Connecting…';
    case 'error':
      return `Error: ${s.error ?? 'unknown'}${s.next_retry_at ? ` — retrying at ${s.next_retry_at.slice(11, 19)}` : ''}`;
    default:
      return 'Disconnected';
  }
}

/**
 * Run one connection in the foreground, as the headless agent does in a container: print each
 * status change, keep going through reconnects, and stop cleanly on SIGINT/SIGTERM (exit 0). A
 * permanent error (bad or revoked token, missing program) ends the run with exit code 1 and
 * says what to do.
 */
export async function runForeground(
  ctx: CliContext,
  connectionId: string,
  io: Io,
  signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
): Promise<number> {
  let last = '';
  let settle: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => {
    settle = resolve;
  });
  const progress = setInterval(() => {
    if (last === 'Connecting…') io.err('… still connecting');
  }, 5000);
  const off = ctx.manager.onConnections((list) => {
    const c = list.find((x) => x.id === connectionId);
    if (!c) return;
    const line = describe(c);
    if (line !== last) {
      last = line;
      io.err(line);
    }
    if (
      c.status.status === 'error' &&
      c.status.error_code &&
      !c.status.next_retry_at &&
      isPermanentTunnelError(c.status.error_code)
    ) {
      io.err(`What to do: ${hintFor(c.status.error_code)}`);
      settle(1);
    }
  });
  const onSignal = (signal: NodeJS.Signals) => {
    io.err(`Received ${signal}; stopping the tunnel…`);
    settle(0);
  };
  // `on`, not `once`: execa's exit hook (signal-exit) re-raises a signal that no other listener
  // is left to handle, which would kill the process before its children are stopped.
  for (const s of signals) process.on(s, onSignal);
  try {
    unwrap(await ctx.manager.connect(connectionId));
    const code = await finished;
    return code;
  } finally {
    clearInterval(progress);
    off();
    for (const s of signals) process.off(s, onSignal);
    await ctx.close();
    io.err('Stopped.');
  }
}
