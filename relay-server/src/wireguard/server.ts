import type { WgMode } from '../config/config.js';

export interface Peer {
  publicKey: string;
  tunnelIp: string;
}

export interface PeerStats extends Peer {
  endpoint: string | null;
  /** Unix seconds of the latest handshake, 0 when never. */
  latestHandshake: number;
  rxBytes: number;
  txBytes: number;
}

/** The relay's WireGuard interface as the Cloud API drives it. */
export interface WireGuardServer {
  readonly mode: WgMode;
  readonly publicKey: string;
  /** Add the peer or move its allowed-ips to `tunnelIp/32`. */
  addPeer(peer: Peer): Promise<void>;
  removePeer(publicKey: string): Promise<void>;
  /** Make the interface's peers exactly `peers`. */
  reconcile(peers: Peer[]): Promise<void>;
  /**
   * Live handshake data; null when the mode keeps no interface. `maxAgeMs` bounds how old a
   * cached reading may be (0: read the interface now).
   */
  stats(options?: { maxAgeMs?: number }): Promise<PeerStats[] | null>;
  health(): Promise<{ ok: boolean; detail: string }>;
  close(): Promise<void>;
}

/** `WG_MODE=off`: peers live in the store only, nothing is programmed. */
export function storeOnlyWireGuard(publicKey: string): WireGuardServer {
  return {
    mode: 'off',
    publicKey,
    async addPeer() {},
    async removePeer() {},
    async reconcile() {},
    async stats() {
      return null;
    },
    async health() {
      return { ok: true, detail: 'off: peers are kept in the store only' };
    },
    async close() {},
  };
}
