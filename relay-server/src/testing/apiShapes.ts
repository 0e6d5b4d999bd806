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
