import type { ConnectionView } from '@cloud-connect/agent-core/desktop';
import { idleStatus } from '@cloud-connect/agent-core/manager';
import { connectionView } from '@cloud-connect/agent-core/testing';
import type { TunnelStatus } from '@cloud-connect/agent-core/tunnels';
import { describe, expect, it } from 'vitest';
import { aggregateState, trayTooltip } from './aggregateState.js';
import { buildTrayMenu } from './trayMenu.js';

function status(s: TunnelStatus['status'], extra: Partial<TunnelStatus> = {}): TunnelStatus {
  return {
    ...idleStatus('cloudflare'),
    status: s,
    is_connected: s === 'connected',
    is_running: s === 'connected' || s === 'connecting',
    ...extra,
  };
}

function conn(
  id: string,
  name: string,
  s: TunnelStatus,
  extra: Partial<ConnectionView> = {},
): ConnectionView {
  return connectionView({
    id,
    name,
    target: null,
    createdAt: '',
    updatedAt: '',
    ...extra,
    status: s,
  });
}

/** A running WireGuard connection and what the relay last said about its instance. */
function wireguard(name: string, relay: ConnectionView['relay'], local = status('connected')) {
  return conn(`conn_${name.toLowerCase().padEnd(6, '0')}`, name, local, {
    kind: 'relay',
    instanceId: 'inst_photos000000000000',
    publicUrl: `http://${name.toLowerCase()}.relay.test:8080`,
    relay,
  });
}
const lastSeen = '2026-12-07T19:00:00.000Z';

describe('aggregateState', () => {
  it('is off with no connections and when none runs', () => {
    expect(aggregateState([])).toBe('off');
    expect(aggregateState([conn('conn_a00000', 'A', status('disconnected'))])).toBe('off');
  });

  it('puts an error first, then connecting, then connected', () => {
    const up = conn('conn_a00000', 'A', status('connected'));
    const starting = conn('conn_b00000', 'B', status('connecting'));
    const broken = conn('conn_c00000', 'C', status('error'));
    expect(aggregateState([up])).toBe('connected');
    expect(aggregateState([up, starting])).toBe('connecting');
    expect(aggregateState([up, starting, broken])).toBe('error');
  });
});

describe('trayTooltip', () => {
  it('counts connections by state', () => {
    const list = [
      conn('conn_a00000', 'A', status('connected')),
      conn('conn_b00000', 'B', status('connected')),
      conn('conn_c00000', 'C', status('error')),
    ];
    expect(trayTooltip(list)).toBe('Cloud Connect: 2 connected, 1 error');
    expect(trayTooltip([])).toBe('Cloud Connect: no connections yet');
    expect(trayTooltip([conn('conn_a00000', 'A', status('disconnected'))])).toBe(
      'Cloud Connect: no tunnels running',
    );
  });
});

describe('buildTrayMenu', () => {
  it('lists each connection with its state and the action that fits it', () => {
    const menu = buildTrayMenu([
      conn('conn_a00000', 'Files', status('connected', { hostname: 'files.example.com' })),
      conn('conn_b00000', 'Photos', status('disconnected')),
      conn(
        'conn_c00000',
        'Wiki',
        status('error', { error: 'Provided Tunnel token is not valid.' }),
      ),
    ]);
    expect(menu.map((i) => i.label ?? i.type)).toEqual([
      'Files — Connected',
      'Photos — Disconnected',
      'Wiki — Error',
      'separator',
      'Open Cloud Connect',
      'Quit',
    ]);
    expect(menu[0]?.submenu?.at(-1)).toEqual({
      label: 'Disconnect',
      action: { type: 'disconnect', connectionId: 'conn_a00000' },
    });
    expect(menu[1]?.submenu?.at(-1)).toEqual({
      label: 'Connect',
      action: { type: 'connect', connectionId: 'conn_b00000' },
    });
    expect(menu[2]?.sublabel).toBe('Provided Tunnel token is not valid.');
    expect(menu.at(-1)).toEqual({ label: 'Quit', action: { type: 'quit' } });
  });

  it('says so when there are no connections, and still offers open and quit', () => {
    expect(buildTrayMenu([]).map((i) => i.label ?? i.type)).toEqual([
      'No connections yet',
      'separator',
      'Open Cloud Connect',
      'Quit',
    ]);
  });

  it('keeps the menu short when there are many connections', () => {
    const many = Array.from({ length: 20 }, (_, i) =>
      conn(`conn_${String(i).padStart(6, '0')}`, `C${i}`, status('connected')),
    );
    const menu = buildTrayMenu(many);
    expect(menu.filter((i) => i.submenu)).toHaveLength(12);
    expect(menu.some((i) => i.label === '…and 8 more')).toBe(true);
  });
});

describe('the tray speaks the status model every screen uses', () => {
  it('shows a WireGuard tunnel as the relay sees it: connected with the data path unchecked, and why', () => {
    const c = wireguard(
      'Files',
      {
        status: 'connected',
        agent: { alive: true, last_seen: lastSeen },
        data_path: {
          state: 'unchecked',
          checked_by_relay: false,
          detail: 'data path not checked by this relay (it runs without WireGuard)',
          last_handshake_at: null,
        },
      },
      // The local probe cannot reach a relay without WireGuard: the relay's word wins.
      status('error', { error: 'this relay runs without WireGuard' }),
    );
    const [item] = buildTrayMenu([c]);
    expect(item?.label).toBe('Files — Connected');
    expect(item?.sublabel).toBe('data path not checked by this relay (it runs without WireGuard)');
    expect(aggregateState([c])).toBe('connected');
  });

  it('shows an agent that heartbeats without a data path as such, and the icon asks for attention', () => {
    const detail =
      'no WireGuard handshake from the agent for 4 min (UDP to relay.test:51820 blocked?)';
    const c = wireguard('Wiki', {
      status: 'disconnected',
      agent: { alive: true, last_seen: lastSeen },
      data_path: { state: 'down', checked_by_relay: true, detail, last_handshake_at: null },
    });
    const [item] = buildTrayMenu([c]);
    expect(item?.label).toBe('Wiki — Agent alive, no data path');
    expect(item?.submenu?.[0]).toEqual({ label: detail, enabled: false });
    expect(aggregateState([c])).toBe('error');
    expect(trayTooltip([c])).toBe('Cloud Connect: 1 error');
  });

  it('lists each connection’s public address with an "Open <url>" item', () => {
    const c = wireguard('Photos', {
      status: 'connected',
      agent: { alive: true, last_seen: lastSeen },
      data_path: {
        state: 'up',
        checked_by_relay: true,
        detail: 'WireGuard handshake 12 s ago',
        last_handshake_at: lastSeen,
      },
    });
    const [item] = buildTrayMenu([c]);
    expect(item?.label).toBe('Photos — Connected');
    expect(item?.submenu).toEqual([
      { label: 'http://photos.relay.test:8080', enabled: false },
      {
        label: 'Open http://photos.relay.test:8080',
        action: { type: 'openUrl', url: 'http://photos.relay.test:8080' },
      },
      { label: 'Disconnect', action: { type: 'disconnect', connectionId: c.id } },
    ]);
  });
});
