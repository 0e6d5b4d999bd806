import type { ConnectionView } from '../desktop/desktopApi.js';
import { connectionStatusWords } from '../status/statusWords.js';
import { isPermanentTunnelError } from '../tunnels/tunnelError.js';
import type { CliContext } from './context.js';
import { CliError, hintFor, unwrap, type Io } from './output.js';
import { localTime, relativeTime } from './timeFormat.js';

/** One line per state, in the words the desktop app and the tray use for it. */
function describe(c: ConnectionView, now: Date): string {
  const s = c.status;
  if (s.status === 'error')
    return `Error: ${s.error ?? 'unknown'}${s.next_retry_at ? ` — retrying ${relativeTime(s.next_retry_at, { now })} (${localTime(s.next_retry_at, { now })})` : ''}`;
  const words = connectionStatusWords(c);
  const url = words.state.startsWith('connected') ? c.publicUrl : null;
  return `${words.words}${url ? `: ${url}` : ''}${s.reconnect_count ? ` (reconnects: ${s.reconnect_count})` : ''}${words.note ? ` — ${words.note}` : ''}`;
}

/**
 * Run one connection in the foreground, as the headless agent does in a container: print each
 * status change, keep going through reconnects, and stop cleanly on SIGINT/SIGTERM (exit 0). A
 * permanent error (bad or revoked token, missing program) stops the tunnel and is thrown as a
 * CliError (exit code 1) that says what to do.
 */
export async function runForeground(
  ctx: CliContext,
  connectionId: string,
  io: Io,
  {
    json = false,
    signals = ['SIGINT', 'SIGTERM'],
  }: { json?: boolean; signals?: NodeJS.Signals[] } = {},
): Promise<number> {
  const now = () => io.now?.() ?? new Date();
  let last = '';
  let forwarded = '';
  let settle: (outcome: number | CliError) => void = () => undefined;
  const finished = new Promise<number | CliError>((resolve) => {
    settle = resolve;
  });
  const progress = setInterval(() => {
    if (last === 'Connecting…') io.err('… still connecting');
  }, 5000);
  const off = ctx.manager.onConnections((list) => {
    const c = list.find((x) => x.id === connectionId);
    if (!c) return;
    const s = c.status;
    if (
      s.status === 'error' &&
      s.error_code &&
      !s.next_retry_at &&
      isPermanentTunnelError(s.error_code)
    ) {
      // Reported once, by the CLI's error output, after the tunnel stopped.
      settle(new CliError(s.error_code, s.error ?? 'The tunnel failed', hintFor(s.error_code)));
      return;
    }
    const line = describe(c, now());
    if (line !== last) {
      last = line;
      io.err(line);
    }
    const url = c.publicUrl;
    if (s.status === 'connected' && url && c.target && forwarded !== url) {
      forwarded = url;
      // stdout carries only this line: what a script wants to know (with --json, as JSON).
      if (json) io.out(JSON.stringify({ forwarding: { public_url: url, target: c.target } }));
      else io.out(`Forwarding ${url} → ${c.target}`);
    }
  });
  const onSignal = (signal: NodeJS.Signals) => {
    io.err(`Received ${signal}; stopping the tunnel…`);
    settle(0);
  };
  // `on`, not `once`: execa's exit hook (signal-exit) re-raises a signal that no other listener
  // is left to handle, which would kill the process before its children are stopped.
  for (const s of signals) process.on(s, onSignal);
  let outcome: number | CliError;
  try {
    unwrap(await ctx.manager.connect(connectionId));
    outcome = await finished;
  } finally {
    clearInterval(progress);
    off();
    for (const s of signals) process.off(s, onSignal);
    await ctx.close();
    io.err('Stopped.');
  }
  if (outcome instanceof CliError) throw outcome;
  return outcome;
}
