/** One peer line of `wg show <if> dump`. */
export interface DumpPeer {
  publicKey: string;
  endpoint: string | null;
  allowedIps: string[];
  /** Unix seconds, 0 = never. */
  latestHandshake: number;
  rxBytes: number;
  txBytes: number;
  /** Seconds, null when off. */
  persistentKeepalive: number | null;
}

export interface DumpInterface {
  publicKey: string;
  listenPort: number;
}

export interface WgDump {
  iface: DumpInterface | null;
  peers: DumpPeer[];
}

const toInt = (s: string | undefined): number => {
  const n = Number(s);
  return Number.isFinite(n) ? n : 0;
};

/**
 * Parse `wg show <if> dump`: the first line is the interface (private-key, public-key,
 * listen-port, fwmark), then one tab-separated line per peer (public-key, preshared-key,
 * endpoint, allowed-ips, latest-handshake, rx, tx, persistent-keepalive). The private key is
 * dropped here and never kept.
 */
export function parseWgDump(text: string): WgDump {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const out: WgDump = { iface: null, peers: [] };
  for (const [i, line] of lines.entries()) {
    const f = line.split('\t');
    if (i === 0 && f.length === 4) {
      out.iface = { publicKey: f[1] ?? '', listenPort: toInt(f[2]) };
      continue;
    }
    if (f.length < 8) continue;
    const [publicKey, , endpoint, allowed, handshake, rx, tx, keepalive] = f;
    out.peers.push({
      publicKey: publicKey ?? '',
      endpoint: !endpoint || endpoint === '(none)' ? null : endpoint,
      allowedIps: !allowed || allowed === '(none)' ? [] : allowed.split(',').map((a) => a.trim()),
      latestHandshake: toInt(handshake),
      rxBytes: toInt(rx),
      txBytes: toInt(tx),
      persistentKeepalive: !keepalive || keepalive === 'off' ? null : toInt(keepalive),
    });
  }
  return out;
}
