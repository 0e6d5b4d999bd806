import { describe, expect, it } from 'vitest';
import { parseWgDump } from './wgDump.js';

// Output of a real `wg show <if> dump` (wireguard-tools 1.0, keys generated for this test).
const DUMP = [
  'UAK3UuckTf4O0zMXvX6F44QbiDjSpeSmuX5X2NJBwWE=\tO3xrx9JcKuXL+gznmY5x7HS6st8SlDClDEKU719QIU4=\t51999\toff',
  'pfTfuXKMNzLE5Ps3M0VOX0aBLmNyJGAED/lH4vIgO3g=\t(none)\t(none)\t10.100.0.2/32\t0\t0\t0\toff',
  'qXfdypNWMKrI1q2RZiLyAL1tqSzQx+VBY5s+t1hCARg=\t(none)\t192.0.2.10:4000\t10.100.0.3/32,10.100.0.9/32\t1763786400\t1234\t5678\t25',
  '',
].join('\n');

describe('parseWgDump', () => {
  it('reads the interface line without keeping the private key', () => {
    const dump = parseWgDump(DUMP);
    expect(dump.iface).toEqual({
      publicKey: 'O3xrx9JcKuXL+gznmY5x7HS6st8SlDClDEKU719QIU4=',
      listenPort: 51999,
    });
    expect(JSON.stringify(dump)).not.toContain('UAK3UuckTf4O0zMXvX6F44QbiDjSpeSmuX5X2NJBwWE=');
  });

  it('reads a peer that never shook hands as no endpoint and handshake 0', () => {
    expect(parseWgDump(DUMP).peers[0]).toEqual({
      publicKey: 'pfTfuXKMNzLE5Ps3M0VOX0aBLmNyJGAED/lH4vIgO3g=',
      endpoint: null,
      allowedIps: ['10.100.0.2/32'],
      latestHandshake: 0,
      rxBytes: 0,
      txBytes: 0,
      persistentKeepalive: null,
    });
  });

  it('reads endpoint, every allowed ip, handshake time, bytes and keepalive', () => {
    expect(parseWgDump(DUMP).peers[1]).toEqual({
      publicKey: 'qXfdypNWMKrI1q2RZiLyAL1tqSzQx+VBY5s+t1hCARg=',
      endpoint: '192.0.2.10:4000',
      allowedIps: ['10.100.0.3/32', '10.100.0.9/32'],
      latestHandshake: 1763786400,
      rxBytes: 1234,
      txBytes: 5678,
      persistentKeepalive: 25,
    });
  });

  it('reads a peer with no allowed ips as an empty list, and ignores blank or short lines', () => {
    const dump = parseWgDump('k1\t(none)\t(none)\t(none)\t0\t0\t0\toff\n\nnot a dump line\n');
    expect(dump.iface).toBeNull();
    expect(dump.peers).toHaveLength(1);
    expect(dump.peers[0]?.allowedIps).toEqual([]);
  });
});
