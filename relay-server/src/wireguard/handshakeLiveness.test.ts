import { describe, expect, it } from 'vitest';
import { instanceHealth, liveStatus } from '../presenters/instance.js';
import type { InstanceRecord } from '../store/types.js';
import { handshakeFresh, latestHandshakes } from './handshakeLiveness.js';
import { storeOnlyWireGuard } from './server.js';

const now = new Date('2025-11-22T12:00:00Z');
const nowS = now.getTime() / 1000;
const timing = { heartbeatIntervalSeconds: 60, missedHeartbeats: 3 };
const instance = (over: Partial<InstanceRecord> = {}): InstanceRecord => ({
  id: 'inst_1',
  userId: 'usr_1',
  name: 'x',
  subdomain: 'x',
  tunnelIp: '10.100.0.2',
  tokenId: 't',
  publicKey: 'KEY',
  targetPort: 80,
  status: 'connected',
  registeredAt: now.toISOString(),
  lastSeen: new Date(now.getTime() - 10_000).toISOString(),
  createdAt: now.toISOString(),
  ...over,
});

describe('handshake liveness', () => {
  it('counts a live stream session as the agent there and its data path up, heartbeats or not', () => {
    const without = instanceHealth(instance(), now, timing, new Map(), 'relay:51820');
    const withStream = instanceHealth(instance(), now, timing, new Map(), 'relay:51820', true);
    expect(without.status).toBe('disconnected');
    expect(withStream).toMatchObject({
      status: 'connected',
      agent: { alive: true, last_seen: now.toISOString() },
      data_path: { state: 'up', checked_by_relay: true, last_handshake_at: null },
    });
    // A stream agent never registers nor heartbeats: its session answers pings instead.
    const neverRegistered = instance({ status: 'pending', publicKey: null, lastSeen: null });
    expect(
      instanceHealth(neverRegistered, now, timing, new Map(), 'relay:51820', true),
    ).toMatchObject({ status: 'connected', agent: { alive: true } });
    expect(instanceHealth(neverRegistered, now, timing, null, 'relay:51820').status).toBe(
      'pending',
    );
    // A record that says connected without a key (a heartbeat cannot make one): no key, no
    // session, no data path, even on a relay without WireGuard.
    const stale = instance({ publicKey: null, lastSeen: now.toISOString() });
    expect(instanceHealth(stale, now, timing, null, 'relay:51820')).toMatchObject({
      status: 'disconnected',
      data_path: { state: 'down' },
    });
  });

  it('keeps a heartbeating instance connected while its handshake is under 180 s old', () => {
    const hs = new Map([['KEY', nowS - 179]]);
    expect(liveStatus(instance(), now, timing, hs)).toBe('connected');
  });

  it('shows a heartbeating instance disconnected once its handshake is over 180 s old', () => {
    const hs = new Map([['KEY', nowS - 181]]);
    expect(liveStatus(instance(), now, timing, hs)).toBe('disconnected');
  });

  it('shows it disconnected when its peer never shook hands or is not on the interface', () => {
    expect(liveStatus(instance(), now, timing, new Map([['KEY', 0]]))).toBe('disconnected');
    expect(liveStatus(instance(), now, timing, new Map())).toBe('disconnected');
  });

  it('lets heartbeats alone decide when there is no interface (WG_MODE=off)', async () => {
    const hs = await latestHandshakes(storeOnlyWireGuard('server'));
    expect(hs).toBeNull();
    expect(liveStatus(instance(), now, timing, hs)).toBe('connected');
  });

  it('never turns a pending or disconnected instance connected', () => {
    const hs = new Map([['KEY', nowS]]);
    expect(liveStatus(instance({ status: 'pending' }), now, timing, hs)).toBe('pending');
    expect(liveStatus(instance({ status: 'disconnected' }), now, timing, hs)).toBe('disconnected');
    expect(handshakeFresh(hs, null, now)).toBe(false);
  });
});
