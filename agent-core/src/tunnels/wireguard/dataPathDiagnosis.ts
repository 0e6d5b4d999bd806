import { TunnelError } from '../tunnelError.js';

/**
 * How long a fresh interface may go without a handshake before that is an error: wireguard-go
 * sends its first initiation at once and retries every 5 s (REKEY_TIMEOUT), so a reachable
 * relay has answered well within this.
 */
export const FIRST_HANDSHAKE_GRACE_MS = 6000;

export interface DataPathFacts {
  /** Now, in ms since the epoch. */
  now: number;
  /** When the interface came up, in ms since the epoch. */
  startedAt: number;
  /** The relay peer's latest handshake in Unix seconds; 0: never. */
  latestHandshake: number;
  /** The relay's WireGuard endpoint, for the message. */
  endpoint: string;
  /**
   * Whether the relay runs WireGuard (null: unknown); asked only once the grace period is over
   * with no handshake.
   */
  relayRunsWireGuard: () => Promise<boolean | null>;
}

/**
 * Why nothing comes back through the tunnel while the relay's API answers (so the internet
 * works): the relay runs without WireGuard, or no handshake reaches it (UDP blocked on the
 * way). Null during the first seconds of a fresh interface, which is still connecting.
 */
export async function diagnoseDataPath(facts: DataPathFacts): Promise<TunnelError | null> {
  const { now, startedAt, latestHandshake, endpoint } = facts;
  if (latestHandshake === 0) {
    if (now - startedAt < FIRST_HANDSHAKE_GRACE_MS) return null;
    // The relay is asked only here: once a handshake came, its answer would change nothing.
    if ((await facts.relayRunsWireGuard()) === false) {
      return new TunnelError(
        'RELAY_WITHOUT_WIREGUARD',
        `This relay runs without WireGuard (WG_MODE=off): nothing answered the handshakes sent to ${endpoint}. Ask its operator to enable WireGuard on it (WG_MODE=wireguard-go or kernel) or to run WireGuard for it.`,
        { endpoint },
      );
    }
    const waited = Math.round((now - startedAt) / 1000);
    return new TunnelError(
      'NO_HANDSHAKE',
      `No WireGuard handshake from the relay after ${waited} s (UDP to ${endpoint} blocked?). The relay's API answers, so the internet connection works; a firewall on the way may drop UDP.`,
      { endpoint, waited_seconds: waited },
    );
  }
  const age = Math.max(0, Math.round(now / 1000 - latestHandshake));
  return new TunnelError(
    'NO_HANDSHAKE',
    `No answer from the relay through the tunnel; the last WireGuard handshake was ${age} s ago (UDP to ${endpoint} blocked?). Waiting for WireGuard to reconnect.`,
    { endpoint, handshake_age_seconds: age },
  );
}
