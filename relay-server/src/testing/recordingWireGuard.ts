import type { Peer, PeerStats, WireGuardServer } from '../wireguard/server.js';
import { generateKeyPair } from '@cloud-connect/agent-core/wireguard';

/** One call the relay made on its WireGuard server, in order. */
export type WireGuardCall =
  | { op: 'add'; publicKey: string; tunnelIp: string }
  | { op: 'remove'; publicKey: string }
  | { op: 'reconcile'; peers: Peer[] };

/**
 * A WireGuard server that keeps its peer table in memory and records every call, for tests
 * that check which peers the Cloud API programs (add on register, remove on delete or
 * regenerate) without a kernel interface. It behaves like `wg set`: adding a known key moves
 * its allowed-ips, removing an unknown key is a no-op.
 */
export interface RecordingWireGuard extends WireGuardServer {
  /** The peer table now: public key → tunnel IP. */
  readonly peers: ReadonlyMap<string, string>;
  readonly calls: readonly WireGuardCall[];
  /**
   * Report `unixSeconds` as the peer's latest handshake (0: never). Only a server made with
   * `{ handshakes: true }` reports handshakes at all; by default it is `WG_MODE=off`-like.
   */
  setHandshake(publicKey: string, unixSeconds: number): void;
}

export function recordingWireGuard(
  publicKey: string = generateKeyPair().publicKey,
  options: { handshakes?: boolean } = {},
): RecordingWireGuard {
  const peers = new Map<string, string>();
  const calls: WireGuardCall[] = [];
  const handshakes = new Map<string, number>();
  return {
    // A mode other than off is what makes the relay ask for handshakes.
    mode: options.handshakes ? 'wireguard-go' : 'off',
    publicKey,
    peers,
    calls,
    setHandshake(key, unixSeconds) {
      handshakes.set(key, unixSeconds);
    },
    async addPeer(peer) {
      calls.push({ op: 'add', ...peer });
      peers.set(peer.publicKey, peer.tunnelIp);
    },
    async removePeer(key) {
      calls.push({ op: 'remove', publicKey: key });
      peers.delete(key);
    },
    async reconcile(list) {
      calls.push({ op: 'reconcile', peers: list.map((p) => ({ ...p })) });
      peers.clear();
      for (const p of list) peers.set(p.publicKey, p.tunnelIp);
    },
    async stats(): Promise<PeerStats[]> {
      return [...peers].map(([key, ip]) => ({
        publicKey: key,
        tunnelIp: ip,
        endpoint: null,
        latestHandshake: handshakes.get(key) ?? 0,
        rxBytes: 0,
        txBytes: 0,
      }));
    },
    async health() {
      return { ok: true, detail: `recording: ${peers.size} peers in memory` };
    },
    async close() {},
  };
}
