import type { ConnectionView } from '@cloud-connect/agent-core/desktop';
import { connectionStatusWords, type StatusTone } from '@cloud-connect/agent-core/status';

export type AggregateState = 'connected' | 'connecting' | 'error' | 'off';

const BY_TONE: Record<StatusTone, AggregateState> = {
  error: 'error',
  busy: 'connecting',
  ok: 'connected',
  off: 'off',
};

/**
 * One state for the tray icon, from the same status words every screen shows: anything that
 * needs attention first (an error, an agent without a data path), then anything on its way,
 * then connected if any tunnel is up; off when nothing runs.
 */
export function aggregateState(connections: readonly ConnectionView[]): AggregateState {
  const states = new Set(connections.map((c) => BY_TONE[connectionStatusWords(c).tone]));
  for (const s of ['error', 'connecting', 'connected'] as const) if (states.has(s)) return s;
  return 'off';
}

/** The connection's state in the words the app's screens and the CLI use. */
export function stateWord(c: ConnectionView): string {
  return connectionStatusWords(c).words;
}

/** e.g. "Cloud Connect: 2 connected, 1 error" or "Cloud Connect: no tunnels running". */
export function trayTooltip(connections: readonly ConnectionView[]): string {
  const counts = new Map<string, number>();
  for (const c of connections) {
    const key = BY_TONE[connectionStatusWords(c).tone];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const parts = (['connected', 'connecting', 'error', 'off'] as const)
    .filter((k) => counts.get(k))
    .map((k) => `${counts.get(k)} ${k}`);
  if (!connections.length) return 'Cloud Connect: no connections yet';
  if (!counts.get('connected') && !counts.get('connecting') && !counts.get('error'))
    return 'Cloud Connect: no tunnels running';
  return `Cloud Connect: ${parts.join(', ')}`;
}
