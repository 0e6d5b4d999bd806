import type { WireGuardServer } from './server.js';

/**
 * WireGuard drops a session 180 s after its handshake (REJECT_AFTER_TIME in wireguard-go's
 * device/constants.go) and a live peer re-handshakes every 120 s: a handshake older than this
 * means no tunnel, whatever heartbeats say.
 */
export const HANDSHAKE_STALE_SECONDS = 180;

/** Latest handshake (unix seconds, 0 = never) per public key, as the interface reports it. */
export type Handshakes = ReadonlyMap<string, number>;

/**
 * The interface's handshakes, or null when there is no interface to ask (`WG_MODE=off`), in
 * which case heartbeats alone decide. An interface that cannot be read counts as no handshakes.
 */
export async function latestHandshakes(
  wireguard: WireGuardServer,
  options: { fresh?: boolean } = {},
): Promise<Handshakes | null> {
  if (wireguard.mode === 'off') return null;
  const stats = await wireguard.stats(options.fresh ? { maxAgeMs: 0 } : {}).catch(() => []);
  return new Map((stats ?? []).map((p) => [p.publicKey, p.latestHandshake]));
}

/** Whether `publicKey` shook hands within the last 180 s. */
export function handshakeFresh(
  handshakes: Handshakes,
  publicKey: string | null,
  now: Date,
): boolean {
  const at = publicKey ? (handshakes.get(publicKey) ?? 0) : 0;
  return at > 0 && now.getTime() / 1000 - at <= HANDSHAKE_STALE_SECONDS;
}
