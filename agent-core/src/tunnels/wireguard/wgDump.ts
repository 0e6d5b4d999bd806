/** One peer line of `wg show <if> dump`. */
export interface WgPeerDump {
  publicKey: string;
  endpoint: string | null;
  allowedIps: string[];
  /** Unix seconds, 0 = never. */
  latestHandshake: number;
  rxBytes: number;
  txBytes: number;
}

const toInt = (s: string | undefined): number => {
  const n = Number(s);
  return Number.isFinite(n) ? n : 0;
};

/**
 * The peer lines of `wg show <if> dump` (public-key, preshared-key, endpoint, allowed-ips,
 * latest-handshake, rx, tx, keepalive). The first line (the interface, with its private key)
 * has four fields and is skipped, so the key never leaves this function.
 */
export function parseWgPeers(text: string): WgPeerDump[] {
  const peers: WgPeerDump[] = [];
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    if (f.length < 8) continue;
    const [publicKey, , endpoint, allowed, handshake, rx, tx] = f;
    peers.push({
      publicKey: publicKey ?? '',
      endpoint: !endpoint || endpoint === '(none)' ? null : endpoint,
      allowedIps: !allowed || allowed === '(none)' ? [] : allowed.split(','),
      latestHandshake: toInt(handshake),
      rxBytes: toInt(rx),
      txBytes: toInt(tx),
    });
  }
  return peers;
}
