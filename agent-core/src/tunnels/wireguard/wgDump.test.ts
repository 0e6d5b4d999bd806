import { describe, expect, it } from 'vitest';
import { parseWgPeers } from './wgDump.js';

describe('parseWgPeers', () => {
  it('reads the peer lines of `wg show <if> dump` and skips the interface line with the private key', () => {
    const peers = parseWgPeers(
      [
        'UAK3UuckTf4O0zMXvX6F44QbiDjSpeSmuX5X2NJBwWE=\tO3xrx9JcKuXL+gznmY5x7HS6st8SlDClDEKU719QIU4=\t43512\toff',
        'qXfdypNWMKrI1q2RZiLyAL1tqSzQx+VBY5s+t1hCARg=\t(none)\t172.20.1.2:51820\t10.100.0.1/32\t1763786400\t92\t180\t25',
      ].join('\n'),
    );
    expect(peers).toEqual([
      {
        publicKey: 'qXfdypNWMKrI1q2RZiLyAL1tqSzQx+VBY5s+t1hCARg=',
        endpoint: '172.20.1.2:51820',
        allowedIps: ['10.100.0.1/32'],
        latestHandshake: 1763786400,
        rxBytes: 92,
        txBytes: 180,
      },
    ]);
    expect(JSON.stringify(peers)).not.toContain('UAK3Uuck');
  });

  it('reads a peer that never shook hands as endpoint null and handshake 0', () => {
    const [peer] = parseWgPeers('k\t(none)\t(none)\t(none)\t0\t0\t0\toff');
    expect(peer).toMatchObject({ endpoint: null, allowedIps: [], latestHandshake: 0 });
  });
});
