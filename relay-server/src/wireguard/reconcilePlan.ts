import type { DumpPeer } from '@cloud-connect/agent-core/wireguard';
import type { Peer } from './server.js';

export interface ReconcilePlan {
  /** Peers to add, or whose allowed-ips must become exactly `<tunnelIp>/32`. */
  set: Peer[];
  /** Public keys on the interface that the store no longer has. */
  remove: string[];
}

/**
 * What to change so the interface holds exactly `desired`: missing peers added, stale ones
 * removed, wrong allowed-ips fixed. Peers already right are left alone (their sessions live on).
 */
export function reconcilePlan(current: DumpPeer[], desired: Peer[]): ReconcilePlan {
  const have = new Map(current.map((p) => [p.publicKey, p]));
  const want = new Map(desired.map((p) => [p.publicKey, p]));
  const set: Peer[] = [];
  for (const peer of want.values()) {
    const existing = have.get(peer.publicKey);
    const ips = existing?.allowedIps ?? [];
    if (!existing || ips.length !== 1 || ips[0] !== `${peer.tunnelIp}/32`) set.push(peer);
  }
  const remove = [...have.keys()].filter((k) => !want.has(k));
  return { set, remove };
}
