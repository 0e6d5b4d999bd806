import type { Services, TunnelTiming } from '../services.js';
import type { DomainRecord, InstanceRecord } from '../store/types.js';
import { handshakeFresh, type Handshakes } from '../wireguard/handshakeLiveness.js';

/**
 * The status an instance has now: a `connected` instance that missed `missedHeartbeats`
 * heartbeats is `disconnected`, whatever the store last recorded; so is one whose WireGuard
 * handshake is older than 180 s when the relay runs an interface. `handshakes` is
 * `latestHandshakes(wireguard)` (null without an interface); it has no default, so no caller
 * leaves the WireGuard side out by accident.
 */
export function liveStatus(
  i: InstanceRecord,
  now: Date,
  timing: TunnelTiming,
  handshakes: Handshakes | null,
): InstanceRecord['status'] {
  if (i.status !== 'connected') return i.status;
  if (handshakes && !handshakeFresh(handshakes, i.publicKey, now)) return 'disconnected';
  const silentMs = i.lastSeen ? now.getTime() - Date.parse(i.lastSeen) : Infinity;
  return silentMs > timing.heartbeatIntervalSeconds * timing.missedHeartbeats * 1000
    ? 'disconnected'
    : 'connected';
}

export const fullDomain = (i: InstanceRecord, baseDomain: string) => `${i.subdomain}.${baseDomain}`;

function primaryDomain(domains: DomainRecord[]): string | null {
  return domains.find((d) => d.status === 'verified')?.domain ?? null;
}

export function toInstanceDetail(
  deps: Pick<Services, 'config' | 'clock' | 'timing'>,
  i: InstanceRecord,
  domains: DomainRecord[],
  handshakes: Handshakes | null,
) {
  return {
    id: i.id,
    name: i.name,
    subdomain: i.subdomain,
    full_domain: fullDomain(i, deps.config.baseDomain),
    custom_domain: primaryDomain(domains),
    status: liveStatus(i, deps.clock.now(), deps.timing, handshakes),
    tunnel_ip: i.tunnelIp,
    last_seen: i.lastSeen,
    created_at: i.createdAt,
  };
}
