import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionDraft } from './connectionsSlice.js';
import { DRAFT_TEST } from './connectionsSlice.js';
import { failure, requestError } from '../testing/answers.js';
import { connectionView, scriptedStore, settle, signedIn } from '../testing/scriptedDesktopApi.js';

const TOKEN = `eyJhIjoi${'x'.repeat(80)}`;

function draft(overrides: Partial<ConnectionDraft> = {}): ConnectionDraft {
  return {
    kind: 'cloudflare',
    name: 'Photos',
    instanceId: '',
    instanceToken: '',
    transport: 'auto',
    token: TOKEN,
    target: 'http://localhost:8080',
    enabled: true,
    ...overrides,
  };
}

describe('connectionsSlice', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('takes live status from onConnections events and never polls the host for it', async () => {
    const ctx = scriptedStore();
    ctx.host.answer('getSession', { ok: true, value: signedIn });
    ctx.store.getState().start();
    await settle();
    expect(ctx.host.callsOf('listConnections')).toHaveLength(1);

    const connecting = connectionView({ status: { status: 'connecting', is_running: true } });
    ctx.host.emit('connections', [connecting]);
    expect(ctx.store.getState().connections).toEqual([connecting]);
    const firstStamp = ctx.store.getState().statusReceivedAt[connecting.id];

    ctx.advanceClock(5000);
    const connected = connectionView({
      status: {
        status: 'connected',
        is_connected: true,
        is_running: true,
        hostname: 'photos.example.com',
        uptime_seconds: 3,
      },
    });
    ctx.host.emit('connections', [connected]);
    await vi.advanceTimersByTimeAsync(120_000);

    expect(ctx.store.getState().connections[0]?.status.hostname).toBe('photos.example.com');
    expect(ctx.store.getState().statusReceivedAt[connected.id]).toBe((firstStamp ?? 0) + 5000);
    expect(ctx.host.callsOf('listConnections')).toHaveLength(1);
  });

  it('stops listening to events when the store is stopped', () => {
    const { store, host } = scriptedStore();
    const stop = store.getState().start();
    expect(host.listenerCount('connections')).toBe(1);

    stop();

    expect(host.listenerCount('connections')).toBe(0);
    expect(host.listenerCount('session')).toBe(0);
    expect(host.listenerCount('log')).toBe(0);
  });

  it('adds a Cloudflare connection with the token, target and start-up choice', async () => {
    const { store, host } = scriptedStore();
    const saved = connectionView();
    host.answer('addConnection', { ok: true, value: saved });
    store.getState().navigate({ name: 'connectionForm', connectionId: null, instanceId: null });

    expect(await store.getState().saveConnection(draft({ name: ' Photos ' }), null)).toEqual(saved);

    expect(host.callsOf('addConnection')).toEqual([
      [
        {
          kind: 'cloudflare',
          name: 'Photos',
          token: TOKEN,
          target: 'http://localhost:8080',
          enabled: true,
        },
      ],
    ]);
    expect(store.getState().connections).toEqual([saved]);
    expect(store.getState().route).toEqual({ name: 'connections' });
  });

  it('adds a relay connection for an instance with the chosen transport, sending an instance token only when typed', async () => {
    const { store, host } = scriptedStore();
    host.answer('addConnection', { ok: true, value: connectionView({ kind: 'relay' }) });
    const relay = { kind: 'relay', token: '', instanceId: 'inst_abcdefghij' } as const;

    await store.getState().saveConnection(draft({ ...relay, enabled: false }), null);
    await store
      .getState()
      .saveConnection(draft({ ...relay, transport: 'stream', instanceToken: ' itk_1 ' }), null);

    const sent = { kind: 'relay', name: 'Photos', instanceId: 'inst_abcdefghij' };
    expect(host.callsOf('addConnection')).toEqual([
      [{ ...sent, transport: 'auto', target: 'http://localhost:8080', enabled: false }],
      [
        {
          ...sent,
          transport: 'stream',
          target: 'http://localhost:8080',
          enabled: true,
          instanceToken: 'itk_1',
        },
      ],
    ]);
  });

  it("sends an edited relay connection's transport, and none for a Cloudflare one", async () => {
    const { store, host } = scriptedStore();
    host.answer('updateConnection', { ok: true, value: connectionView() });

    await store
      .getState()
      .saveConnection(draft({ kind: 'relay', token: '', transport: 'wireguard' }), 'conn_abc123');
    await store.getState().saveConnection(draft({ token: '', transport: 'stream' }), 'conn_abc123');

    expect(host.callsOf('updateConnection').map(([, patch]) => patch)).toEqual([
      { name: 'Photos', target: 'http://localhost:8080', enabled: true, transport: 'wireguard' },
      { name: 'Photos', target: 'http://localhost:8080', enabled: true },
    ]);
  });

  it.each([
    {
      kind: 'a Cloudflare',
      typed: { name: '', token: '', target: 'localhost:8080' },
      fields: {
        name: 'Give the connection a name.',
        token: 'Paste the tunnel token from the Cloudflare dashboard.',
        target: 'Use an address such as http://localhost:8080.',
      },
    },
    {
      kind: 'a relay',
      typed: { kind: 'relay', token: '', target: '' },
      fields: {
        instanceId: 'Choose the instance to connect.',
        target: 'Choose a Docker container or type the address of your app.',
      },
    },
  ] as const)(
    'points at the inputs of $kind connection that need fixing without calling the host',
    async ({ typed, fields }) => {
      const { store, host } = scriptedStore();

      await store.getState().saveConnection(draft(typed), null);

      expect(requestError(store, 'saveConnection')?.fields).toEqual(fields);
      expect(host.callsOf('addConnection')).toHaveLength(0);
    },
  );

  it('keeps the stored token when an edit leaves the token field blank', async () => {
    const { store, host } = scriptedStore();
    host.answer('updateConnection', { ok: true, value: connectionView({ name: 'Renamed' }) });

    await store
      .getState()
      .saveConnection(draft({ name: 'Renamed', token: '', target: '' }), 'conn_abc123');

    expect(host.callsOf('updateConnection')).toEqual([
      ['conn_abc123', { name: 'Renamed', target: null, enabled: true }],
    ]);
  });

  it('shows a refused token next to the token field', async () => {
    const { store, host } = scriptedStore();
    host.answer('addConnection', failure('INVALID_TOKEN', 'Provided Tunnel token is not valid.'));

    await store.getState().saveConnection(draft(), null);

    expect(requestError(store, 'saveConnection')?.fields.token).toBe('Not a valid tunnel token.');
  });

  it('tests a typed token and keeps latency and hostname, or the specific error', async () => {
    const { store, host } = scriptedStore();
    host.answer('testConnection', {
      ok: true,
      value: {
        success: true,
        error: null,
        error_code: null,
        latency_ms: 1834,
        hostname: 'photos.example.com',
      },
    });

    await store.getState().testConnection(DRAFT_TEST, { kind: 'cloudflare', token: TOKEN });
    expect(host.callsOf('testConnection')).toEqual([[{ kind: 'cloudflare', token: TOKEN }]]);
    expect(store.getState().testResults[DRAFT_TEST]).toMatchObject({
      success: true,
      latency_ms: 1834,
    });

    host.answer('testConnection', {
      ok: true,
      value: {
        success: false,
        error: 'Unauthorized: Invalid tunnel secret',
        error_code: 'TOKEN_REJECTED',
        latency_ms: null,
        hostname: null,
      },
    });
    await store.getState().testConnection('conn_abc123', { id: 'conn_abc123' });
    expect(store.getState().testResults.conn_abc123).toMatchObject({
      success: false,
      error_code: 'TOKEN_REJECTED',
    });
  });

  it('tests the form by its typed token, else by the saved connection', async () => {
    const { store, host } = scriptedStore();
    host.answer('testConnection', {
      ok: true,
      value: { success: true, error: null, error_code: null, latency_ms: 5, hostname: null },
    });

    await store.getState().testDraft(draft(), null);
    await store.getState().testDraft(draft(), 'conn_abc123');
    await store.getState().testDraft(draft({ token: '' }), 'conn_abc123');
    await store.getState().testDraft(draft({ kind: 'relay', token: '' }), 'conn_abc123');

    expect(host.callsOf('testConnection')).toEqual([
      [{ kind: 'cloudflare', token: TOKEN }],
      [{ kind: 'cloudflare', token: TOKEN }],
      [{ id: 'conn_abc123' }],
      [{ id: 'conn_abc123' }],
    ]);
    expect(Object.keys(store.getState().testResults).sort()).toEqual(['conn_abc123', DRAFT_TEST]);
  });

  it('does not test an empty token', async () => {
    const { store, host } = scriptedStore();

    expect(
      await store.getState().testConnection(DRAFT_TEST, { kind: 'cloudflare', token: ' ' }),
    ).toBeNull();

    expect(host.callsOf('testConnection')).toHaveLength(0);
    expect(store.getState().requests[`test:${DRAFT_TEST}`]?.error?.fields.token).toMatch(/Paste/);
  });

  it('connects and disconnects with a pending state per connection', async () => {
    const { store, host } = scriptedStore();
    store.getState().applyConnections([connectionView()]);
    let answer: () => void = () => {};
    host.handle(
      'connect',
      () =>
        new Promise(
          (resolve) =>
            (answer = () =>
              resolve({
                ok: true,
                value: connectionView({ status: { status: 'connecting', is_running: true } }),
              })),
        ),
    );

    const connecting = store.getState().connect('conn_abc123');
    expect(store.getState().requests['connect:conn_abc123']?.pending).toBe(true);
    answer();
    await connecting;

    expect(store.getState().requests['connect:conn_abc123']).toBeUndefined();
    expect(store.getState().connections[0]?.status.status).toBe('connecting');

    host.answer('disconnect', { ok: true, value: connectionView() });
    await store.getState().disconnect('conn_abc123');
    expect(store.getState().connections[0]?.status.status).toBe('disconnected');
  });

  it('removes a connection', async () => {
    const { store, host } = scriptedStore();
    store.getState().applyConnections([connectionView()]);
    host.answer('removeConnection', { ok: true, value: null });

    await store.getState().removeConnection('conn_abc123');

    expect(store.getState().connections).toEqual([]);
  });

  it('catches up on connections and logs after the bridge reconnects', async () => {
    const ctx = scriptedStore();
    ctx.host.answer('getSession', { ok: true, value: signedIn });
    ctx.store.getState().start();
    await settle();

    ctx.link.setState({ status: 'reconnecting', attempt: 1, retryAt: 0 });
    expect(ctx.store.getState().bridge.status).toBe('reconnecting');
    ctx.link.setState({ status: 'connected' });
    await settle();

    expect(ctx.host.callsOf('listConnections')).toHaveLength(2);
    expect(ctx.host.callsOf('getLogs')).toHaveLength(2);
  });
});
