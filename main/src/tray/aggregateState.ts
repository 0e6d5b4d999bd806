import type { ConnectionView } from '@cloud-connect/agent-core/desktop';

export type AggregateState = 'connected' | 'connecting' | 'error' | 'off';

/**
 * One state for the tray icon: an error anywhere needs attention first, then anything still
 * connecting, then connected if any tunnel is up; off when nothing runs.
 */
export function aggregateState(connections: readonly ConnectionView[]): AggregateState {
  const states = new Set(connections.map((c) => c.status.status));
  if (states.has('error')) return 'error';
  if (states.has('connecting')) return 'connecting';
  if (states.has('connected')) return 'connected';
  return 'off';
}

const WORDS: Record<ConnectionView['status']['status'], string> = {
  connected: 'Connected',
  connecting: 'Connecting…',
  error: 'Error',
  disconnected: 'Off',
};

export function stateWord(c: ConnectionView): string {
  return WORDS[c.status.status];
}

/** e.g. "Cloud Connect: 2 connected, 1 error" or "Cloud Connect: no tunnels running". */
export function trayTooltip(connections: readonly ConnectionView[]): string {
  const counts = new Map<string, number>();
  for (const c of connections) {
    const key = c.status.status === 'disconnected' ? 'off' : c.status.status;
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
