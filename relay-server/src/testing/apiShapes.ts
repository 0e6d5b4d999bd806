/**
 * The data path as a relay without WireGuard (WG_MODE=off, or the recording stand-in) reports
 * it: it sees no handshakes, so it says it cannot check.
 */
export const UNCHECKED_DATA_PATH = {
  state: 'unchecked',
  checked_by_relay: false,
  detail: 'data path not checked by this relay (it runs without WireGuard)',
  last_handshake_at: null,
} as const;

/**
 * The data path of an instance no agent ever reached (no WireGuard key, no stream session): the
 * relay knows nothing can carry its traffic, with or without WireGuard.
 */
export const NO_AGENT_DATA_PATH = {
  state: 'down',
  checked_by_relay: true,
  detail:
    'no agent connected yet (no stream session, no WireGuard key): start the agent with this instance’s token',
  last_handshake_at: null,
} as const;
