import { describe, expect, it } from 'vitest';
import type { DumpPeer } from '@cloud-connect/agent-core/wireguard';
import { reconcilePlan } from './reconcilePlan.js';

const onInterface = (publicKey: string, allowedIps: string[]): DumpPeer => ({
  publicKey,
  allowedIps,
  endpoint: null,
  latestHandshake: 0,
  rxBytes: 0,
  txBytes: 0,
  persistentKeepalive: null,
});

describe('reconcilePlan', () => {
  it('adds the peers the interface is missing', () => {
    const plan = reconcilePlan([], [{ publicKey: 'A', tunnelIp: '10.100.0.2' }]);
    expect(plan).toEqual({ set: [{ publicKey: 'A', tunnelIp: '10.100.0.2' }], remove: [] });
  });

  it('removes peers the store no longer has', () => {
    const plan = reconcilePlan([onInterface('gone', ['10.100.0.9/32'])], []);
    expect(plan).toEqual({ set: [], remove: ['gone'] });
  });

  it('fixes a peer whose allowed-ips differ from its tunnel IP /32', () => {
    const plan = reconcilePlan(
      [onInterface('A', ['10.100.0.7/32']), onInterface('B', ['10.100.0.3/32', '10.0.0.0/8'])],
      [
        { publicKey: 'A', tunnelIp: '10.100.0.2' },
        { publicKey: 'B', tunnelIp: '10.100.0.3' },
      ],
    );
    expect(plan.set.map((p) => p.publicKey)).toEqual(['A', 'B']);
    expect(plan.remove).toEqual([]);
  });

  it('leaves peers that are already right alone', () => {
    const plan = reconcilePlan(
      [onInterface('A', ['10.100.0.2/32'])],
      [{ publicKey: 'A', tunnelIp: '10.100.0.2' }],
    );
    expect(plan).toEqual({ set: [], remove: [] });
  });
});
