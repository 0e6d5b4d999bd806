import type { InstanceListItem } from '@cloud-connect/agent-core/api';
import { describe, expect, it } from 'vitest';
import { connectionView } from '../testing/scriptedDesktopApi.js';
import {
  connectionStatusView,
  connectionTransportView,
  instanceStatusView,
} from './statusSelectors.js';

const UNCHECKED = {
  state: 'unchecked' as const,
  checked_by_relay: false,
  detail: 'data path not checked by this relay (it runs without WireGuard)',
  last_handshake_at: null,
};
const seen = '2026-12-07T19:00:00.000Z';

function instance(over: Partial<InstanceListItem> = {}): InstanceListItem {
  return {
    id: 'inst_photos000000000000',
    name: 'Photos',
    subdomain: 'photos',
    custom_domain: null,
    status: 'connected',
    agent: { alive: true, last_seen: seen },
    data_path: UNCHECKED,
    public_url: 'http://photos.relay.test:8080',
    tunnel_ip: '10.100.0.2',
    last_seen: seen,
    created_at: seen,
    ...over,
  };
}

describe('instanceStatusView', () => {
  it('says connected with the relay’s note when the relay cannot check the data path', () => {
    expect(instanceStatusView(instance(), [])).toEqual({
      state: 'connected_unchecked',
      tone: 'ok',
      words: 'Connected',
      note: 'data path not checked by this relay (it runs without WireGuard)',
      publicUrl: 'http://photos.relay.test:8080',
    });
  });

  it('says "agent alive, no data path" with the cause for a heartbeating agent the relay sees no handshake from', () => {
    const detail =
      'no WireGuard handshake from the agent for 4 min (UDP to relay.test:51820 blocked?)';
    const view = instanceStatusView(
      instance({
        status: 'disconnected',
        data_path: { state: 'down', checked_by_relay: true, detail, last_handshake_at: null },
      }),
      [],
    );
    expect(view).toMatchObject({ state: 'agent_alive', tone: 'error', note: detail });
    expect(view.words).toBe('Agent alive, no data path');
  });

  it('shows what the connection card shows while this app runs the instance’s tunnel', () => {
    // The list is older than the connection's push: the relay has since seen the agent go.
    const local = connectionView({
      kind: 'relay',
      instanceId: 'inst_photos000000000000',
      publicUrl: 'http://photos.relay.test:8080',
      relay: { status: 'disconnected', agent: { alive: false, last_seen: seen } },
      status: { status: 'connected', is_running: true, is_connected: true },
    });
    const view = instanceStatusView(instance(), [local]);
    expect(view).toEqual(connectionStatusView(local));
    expect(view.words).toBe('Disconnected');
  });

  it('falls back to the list when the connection is stopped or for another instance', () => {
    const stopped = connectionView({
      kind: 'relay',
      instanceId: 'inst_photos000000000000',
      relay: { status: 'disconnected' },
    });
    const other = connectionView({
      kind: 'relay',
      instanceId: 'inst_other0000000000000',
      relay: { status: 'disconnected' },
      status: { status: 'connected' },
    });
    expect(instanceStatusView(instance(), [stopped, other]).words).toBe('Connected');
  });
});

describe('connectionStatusView', () => {
  it('uses the relay’s model over the local probe, and the relay’s public URL', () => {
    const c = connectionView({
      kind: 'relay',
      instanceId: 'inst_photos000000000000',
      publicUrl: 'http://photos.relay.test:8080',
      relay: { status: 'connected', agent: { alive: true, last_seen: seen }, data_path: UNCHECKED },
      status: { status: 'error', error: 'this relay runs without WireGuard', is_running: true },
    });
    expect(connectionStatusView(c)).toMatchObject({
      words: 'Connected',
      note: UNCHECKED.detail,
      publicUrl: 'http://photos.relay.test:8080',
    });
  });

  it('says connecting while the tunnel comes up and the relay has not heard from it', () => {
    const c = connectionView({
      kind: 'relay',
      relay: { status: 'pending' },
      status: { status: 'connecting' },
    });
    expect(connectionStatusView(c)).toMatchObject({ state: 'connecting', words: 'Connecting…' });
  });

  it('shows a stopped connection as disconnected whatever the relay last said', () => {
    const c = connectionView({ kind: 'relay', relay: { status: 'connected' } });
    expect(connectionStatusView(c)).toMatchObject({ state: 'stopped', words: 'Disconnected' });
  });

  it('shows a Cloudflare tunnel by its local state, with its error', () => {
    const c = connectionView({
      status: { status: 'error', error: 'Provided Tunnel token is not valid.' },
    });
    expect(connectionStatusView(c)).toMatchObject({
      tone: 'error',
      words: 'Error',
      note: 'Provided Tunnel token is not valid.',
    });
  });
});

describe('connectionTransportView', () => {
  it('says which transport a running relay connection uses and, for auto, why', () => {
    const c = connectionView({
      kind: 'relay',
      transport: 'auto',
      status: {
        status: 'connected',
        details: {
          transport: 'stream',
          transport_reason: 'no permission to create a network interface',
        },
      },
    });
    expect(connectionTransportView(c)).toBe(
      'via stream transport — no permission to create a network interface',
    );
  });

  it('names the choice of a relay connection that does not run, and nothing for Cloudflare', () => {
    expect(connectionTransportView(connectionView({ kind: 'relay', transport: 'stream' }))).toBe(
      'Stream over HTTPS',
    );
    expect(connectionTransportView(connectionView())).toBeNull();
  });
});
