import type { AgentPresence, DataPath, InstanceStatus } from '../api/index.js';
import type { TunnelState } from '../tunnels/status.js';

/** The colour of a state: ok (connected), busy (on its way), error (needs attention), off. */
export type StatusTone = 'ok' | 'busy' | 'error' | 'off';

/**
 * The states a person is shown, from the relay's status model and the local tunnel:
 * - `connected`: agent alive and the relay saw the data path work (a fresh WireGuard handshake);
 * - `connected_unchecked`: agent alive, and this relay cannot see the data path (WG_MODE=off);
 * - `agent_alive`: heartbeats arrive but the data path is down (no traffic gets through);
 * - `pending`: the instance never connected; `offline`: no agent;
 * - `connecting`, `error`, `stopped`: the local tunnel before the relay has a word on it.
 */
export type StatusState =
  | 'connected'
  | 'connected_unchecked'
  | 'agent_alive'
  | 'pending'
  | 'offline'
  | 'connecting'
  | 'error'
  | 'stopped';

export interface StatusWords {
  state: StatusState;
  tone: StatusTone;
  /** The state in a few words: "Connected", "Agent alive, no data path". */
  words: string;
  /** Why, when it matters: "data path not checked by this relay (it runs without WireGuard)". */
  note: string | null;
}

/** What the relay says about an instance (a list item, a detail, or a tunnel status answer). */
export interface RelayInstanceStatus {
  status: InstanceStatus;
  agent?: AgentPresence | undefined;
  data_path?: DataPath | undefined;
}

/** The state of an instance as the relay reports it, in the words every screen uses. */
export function instanceStatusWords(i: RelayInstanceStatus): StatusWords {
  switch (i.status) {
    case 'pending':
      return {
        state: 'pending',
        tone: 'busy',
        words: 'Waiting for its first connection',
        note: null,
      };
    case 'connected':
      return i.data_path?.state === 'unchecked'
        ? { state: 'connected_unchecked', tone: 'ok', words: 'Connected', note: i.data_path.detail }
        : { state: 'connected', tone: 'ok', words: 'Connected', note: null };
    case 'disconnected':
      return i.agent?.alive
        ? {
            state: 'agent_alive',
            tone: 'error',
            words: 'Agent alive, no data path',
            note: i.data_path?.detail ?? null,
          }
        : { state: 'offline', tone: 'off', words: 'Disconnected', note: null };
  }
}

/** A local tunnel and, for a WireGuard connection, the relay's word on its instance. */
export interface ConnectionStatusInput {
  status: { status: TunnelState; error: string | null };
  /** The relay's status model of the connection's instance; null for Cloudflare or until known. */
  relay: RelayInstanceStatus | null;
}

/**
 * The state of a connection in the same words as its instance: while the tunnel runs and the
 * relay has reported on it, the relay's model decides (so the connection card, the Instances
 * screen, the tray and the CLI say the same thing); before that, the local tunnel's state.
 */
export function connectionStatusWords(c: ConnectionStatusInput): StatusWords {
  const local = c.status.status;
  if (local === 'disconnected') {
    return { state: 'stopped', tone: 'off', words: 'Disconnected', note: null };
  }
  const relay = c.relay ? instanceStatusWords(c.relay) : null;
  // While the tunnel comes up the relay cannot have seen its data path yet: "Connecting…"
  // says more than a passing "no data path", until the relay sees it connected.
  if (relay && (local !== 'connecting' || relay.tone === 'ok')) return relay;
  switch (local) {
    case 'connected':
      return { state: 'connected', tone: 'ok', words: 'Connected', note: null };
    case 'connecting':
      return { state: 'connecting', tone: 'busy', words: 'Connecting…', note: null };
    case 'error':
      return { state: 'error', tone: 'error', words: 'Error', note: c.status.error };
  }
}
