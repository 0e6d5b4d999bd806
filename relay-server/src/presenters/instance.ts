import type {
  AgentPresence,
  DataPath,
  InstanceStatus,
  TunnelTransport,
} from '@cloud-connect/agent-core/api';
import type { Config } from '../config/config.js';
import { publicUrlOf } from '../edge/publicUrl.js';
import type { Services, TunnelTiming } from '../services.js';
import type { DomainRecord, InstanceRecord } from '../store/types.js';
import { HANDSHAKE_STALE_SECONDS, type Handshakes } from '../wireguard/handshakeLiveness.js';

/** The relay's one status model of an instance: what the API, the edge and the metrics use. */
export interface InstanceHealth {
  status: InstanceStatus;
  agent: AgentPresence;
  data_path: DataPath;
  /** The path traffic takes now: a live stream session first, else WireGuard while connected. */
  transport: TunnelTransport | null;
}

/** "42 s", "4 min", "3 h": how long, as a person reads it in a status detail. */
function span(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

function dataPath(
  i: InstanceRecord,
  now: Date,
  handshakes: Handshakes | null,
  wgEndpoint: string,
  streamLive: boolean,
): DataPath {
  if (streamLive) {
    // The stream transport's sessions answer pings through themselves: seen by the relay.
    const shake = i.publicKey ? handshakes?.get(i.publicKey) : undefined;
    return {
      state: 'up',
      checked_by_relay: true,
      detail: 'carried by a stream session (the agent needs no WireGuard)',
      last_handshake_at: shake ? new Date(shake * 1000).toISOString() : null,
    };
  }
  // No key and no session: nothing can carry traffic, whatever mode WireGuard runs in.
  if (!i.publicKey) {
    return {
      state: 'down',
      checked_by_relay: true,
      detail:
        'no agent connected yet (no stream session, no WireGuard key): start the agent with this instance’s token',
      last_handshake_at: null,
    };
  }
  if (!handshakes) {
    return {
      state: 'unchecked',
      checked_by_relay: false,
      detail: 'data path not checked by this relay (it runs without WireGuard)',
      last_handshake_at: null,
    };
  }
  const at = handshakes.get(i.publicKey) ?? 0;
  const nowS = now.getTime() / 1000;
  const lastHandshakeAt = at > 0 ? new Date(at * 1000).toISOString() : null;
  if (at > 0 && nowS - at <= HANDSHAKE_STALE_SECONDS) {
    return {
      state: 'up',
      checked_by_relay: true,
      detail: `WireGuard handshake ${span(nowS - at)} ago`,
      last_handshake_at: lastHandshakeAt,
    };
  }
  const since =
    at > 0
      ? `for ${span(nowS - at)}`
      : i.registeredAt
        ? `in the ${span(nowS - Date.parse(i.registeredAt) / 1000)} since it registered`
        : 'yet';
  return {
    state: 'down',
    checked_by_relay: true,
    detail: `no WireGuard handshake from the agent ${since} (UDP to ${wgEndpoint} blocked?)`,
    last_handshake_at: lastHandshakeAt,
  };
}

/**
 * Whether the instance's WireGuard agent heartbeats: the store says `connected` and the last
 * heartbeat is at most `missedHeartbeats` intervals old.
 */
export function heartbeatAlive(
  i: InstanceRecord,
  now: Date,
  timing: Pick<TunnelTiming, 'heartbeatIntervalSeconds' | 'missedHeartbeats'>,
): boolean {
  const silentMs = i.lastSeen ? now.getTime() - Date.parse(i.lastSeen) : Infinity;
  return (
    i.status === 'connected' &&
    silentMs <= timing.heartbeatIntervalSeconds * timing.missedHeartbeats * 1000
  );
}

/**
 * The instance's status now. The agent is alive while it heartbeats (the store says
 * `connected` and the last heartbeat is at most `missedHeartbeats` intervals old) or while it
 * holds a stream session (answered pings every few seconds prove more than a heartbeat); the
 * data path is up while its WireGuard handshake is under 180 s old or a stream session is live,
 * and unchecked when the relay has no interface (`handshakes` null, `WG_MODE=off`).
 * `connected` needs both: heartbeats alone only mean "agent alive". `handshakes` has no
 * default, so no caller leaves WireGuard out.
 */
export function instanceHealth(
  i: InstanceRecord,
  now: Date,
  timing: Pick<TunnelTiming, 'heartbeatIntervalSeconds' | 'missedHeartbeats'>,
  handshakes: Handshakes | null,
  wgEndpoint: string,
  /** A stream session of the instance is live: its agent is there and its data path up. */
  streamLive = false,
): InstanceHealth {
  const path = dataPath(i, now, handshakes, wgEndpoint, streamLive);
  if (streamLive) {
    // An agent on the stream transport never registers a key nor heartbeats: the session is it.
    return {
      status: 'connected',
      agent: { alive: true, last_seen: now.toISOString() },
      data_path: path,
      transport: 'stream',
    };
  }
  const alive = heartbeatAlive(i, now, timing);
  const status: InstanceStatus =
    i.status === 'pending'
      ? 'pending'
      : alive && path.state !== 'down'
        ? 'connected'
        : 'disconnected';
  return {
    status,
    agent: { alive, last_seen: i.lastSeen },
    data_path: path,
    transport: status === 'connected' && i.publicKey ? 'wireguard' : null,
  };
}

/** `instanceHealth(…).status`, for callers that need only the word. */
export function liveStatus(
  i: InstanceRecord,
  now: Date,
  timing: Pick<TunnelTiming, 'heartbeatIntervalSeconds' | 'missedHeartbeats'>,
  handshakes: Handshakes | null,
): InstanceStatus {
  return instanceHealth(i, now, timing, handshakes, '').status;
}

export const fullDomain = (i: InstanceRecord, baseDomain: string) => `${i.subdomain}.${baseDomain}`;

/** The address a browser opens for the instance (its subdomain on the relay's edge). */
export const instancePublicUrl = (
  i: InstanceRecord,
  config: Pick<Config, 'baseDomain' | 'edgeMode' | 'edgePort' | 'edgePublicUrl'>,
) => publicUrlOf(config, fullDomain(i, config.baseDomain));

function primaryDomain(domains: DomainRecord[]): string | null {
  return domains.find((d) => d.status === 'verified')?.domain ?? null;
}

export function toInstanceDetail(
  deps: Pick<Services, 'config'>,
  i: InstanceRecord,
  domains: DomainRecord[],
  health: InstanceHealth,
) {
  return {
    id: i.id,
    name: i.name,
    subdomain: i.subdomain,
    full_domain: fullDomain(i, deps.config.baseDomain),
    custom_domain: primaryDomain(domains),
    status: health.status,
    agent: health.agent,
    data_path: health.data_path,
    transport: health.transport,
    public_url: instancePublicUrl(i, deps.config),
    tunnel_ip: i.tunnelIp,
    last_seen: health.agent.last_seen,
    created_at: i.createdAt,
  };
}
