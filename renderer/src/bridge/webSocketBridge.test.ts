import type { AddressInfo } from 'node:net';
import type {
  ClientMessage,
  ConnectionView,
  LogEntry,
  SessionView,
} from '@cloud-connect/agent-core/desktop';
import { manualClock, type ManualClock } from '@cloud-connect/agent-core/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { signedIn } from '../testing/views.js';
import type { BridgeState } from './bridgeState.js';
import { CLOSE_UNAUTHORIZED } from './protocolConstants.js';
import type { BridgeSocket, WebSocketBridgeOptions } from './webSocketBridge.js';
import { createWebSocketBridge } from './webSocketBridge.js';

const TOKEN = 'test-access-token-0123456789';

const session = signedIn;

type Reply = (message: Extract<ClientMessage, { type: 'call' }>) => unknown;

/**
 * A web host stand-in for the socket side only: it speaks bridgeProtocol.ts over a real `ws`
 * server on a loopback port, records what it receives, and can push events or drop sockets.
 */
async function startHost(options: { reply?: Reply; holdReady?: boolean } = {}) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const received: ClientMessage[] = [];
  const sockets = new Set<WebSocket>();
  let connections = 0;
  let refuse: number | null = null;
  let releaseReady: (() => void) | null = null;

  server.on('connection', (socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (refuse !== null) {
      socket.close(refuse, 'refused');
      return;
    }
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as ClientMessage;
      received.push(message);
      if (message.type === 'hello') {
        if (message.token !== TOKEN) {
          socket.close(CLOSE_UNAUTHORIZED, 'bad token');
          return;
        }
        const ready = () => socket.send(JSON.stringify({ type: 'ready', version: '0.1.0' }));
        if (options.holdReady) releaseReady = ready;
        else ready();
        return;
      }
      const value = options.reply ? options.reply(message) : null;
      if (value === undefined) return; // leave the call unanswered
      socket.send(JSON.stringify({ type: 'result', id: message.id, result: value }));
    });
  });

  const port = (server.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    received,
    get connections() {
      return connections;
    },
    /** Every later connection is closed at once with this code (null: accept again). */
    refuseWith(code: number | null) {
      refuse = code;
    },
    releaseReady() {
      releaseReady?.();
    },
    push(channel: string, payload: unknown) {
      for (const socket of sockets)
        socket.send(JSON.stringify({ type: 'event', channel, payload }));
    },
    dropAll() {
      for (const socket of sockets) socket.terminate();
    },
    async stop() {
      for (const socket of sockets) socket.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Host = Awaited<ReturnType<typeof startHost>>;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function connect(host: Host, extra: Partial<WebSocketBridgeOptions> = {}) {
  const bridge = createWebSocketBridge({
    url: host.url,
    token: TOKEN,
    // `ws` implements the browser WebSocket's handler properties the bridge uses.
    createSocket: (url) => new WebSocket(url) as unknown as BridgeSocket,
    initialBackoffMs: 20,
    maxBackoffMs: 200,
    ...extra,
  });
  const states: BridgeState[] = [bridge.connection.getState()];
  bridge.connection.onState((state) => states.push(state));
  cleanups.push(() => bridge.connection.close());
  return { ...bridge, states };
}

/** Wait for what the real socket does (a message arrives, a close): poll the condition. */
async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  await vi.waitFor(() => expect(condition()).toBe(true), { timeout: timeoutMs, interval: 5 });
}

/** The bridge's time on a manual clock: reconnects and queue timeouts wait for the test. */
const onClock = (clock: ManualClock) => ({ now: clock.nowMs, timers: clock });
const HOUR = 3_600_000;

async function hostWith(options: Parameters<typeof startHost>[0] = {}) {
  const host = await startHost(options);
  cleanups.push(() => host.stop());
  return host;
}

describe('createWebSocketBridge', () => {
  it('says hello with the access token and resolves calls with the host’s result', async () => {
    const host = await hostWith({
      reply: (m) => (m.method === 'signIn' ? { ok: true, value: session } : null),
    });
    const { api, connection } = connect(host);

    const result = await api.signIn('ada@example.com', 'correct horse');

    expect(result).toEqual({ ok: true, value: session });
    expect(host.received[0]).toEqual({ type: 'hello', token: TOKEN });
    expect(host.received[1]).toEqual({
      type: 'call',
      id: 1,
      method: 'signIn',
      args: ['ada@example.com', 'correct horse'],
    });
    expect(connection.getState()).toEqual({ status: 'connected' });
  });

  it('passes the host’s error results through unchanged', async () => {
    const failure = {
      ok: false,
      code: 'VALIDATION_ERROR',
      message: 'Invalid request',
      fields: { email: 'must be an email address' },
    };
    const host = await hostWith({ reply: () => failure });
    const { api } = connect(host);

    expect(await api.forgotPassword('nope')).toEqual(failure);
  });

  it('drops trailing undefined arguments so optional parameters stay optional over JSON', async () => {
    const host = await hostWith({ reply: () => ({ ok: true, value: [] }) });
    const { api } = connect(host);

    await api.getLogs();
    await api.getLogs(undefined);

    const calls = host.received.filter((m) => m.type === 'call');
    expect(calls.map((m) => m.args)).toEqual([[], []]);
  });

  it('queues calls made before the host is ready and sends them once it is', async () => {
    const host = await hostWith({ holdReady: true, reply: () => ({ ok: true, value: session }) });
    const { api, connection } = connect(host);

    const pending = api.getSession();
    await until(() => host.received.length === 1);
    expect(host.received.map((m) => m.type)).toEqual(['hello']);
    expect(connection.getState().status).toBe('connecting');

    host.releaseReady();
    expect(await pending).toEqual({ ok: true, value: session });
  });

  it('delivers pushed events to subscribers until they unsubscribe', async () => {
    const host = await hostWith({ reply: () => ({ ok: true, value: session }) });
    const { api } = connect(host);
    const seenConnections: ConnectionView[][] = [];
    const seenLogs: LogEntry[] = [];
    const seenSessions: SessionView[] = [];
    const stopConnections = api.onConnections((c) => seenConnections.push(c));
    api.onLog((entry) => seenLogs.push(entry));
    api.onSession((s) => seenSessions.push(s));
    await api.getSession();

    const entry: LogEntry = {
      id: 7,
      at: '2025-01-01T00:00:00.000Z',
      level: 'info',
      connectionId: null,
      message: 'hello',
    };
    host.push('connections', []);
    host.push('log', entry);
    host.push('session', session);
    await until(() => seenSessions.length === 1);
    stopConnections();
    host.push('connections', []);
    host.push('log', entry);
    await until(() => seenLogs.length === 2);

    expect(seenConnections).toEqual([[]]);
    expect(seenLogs).toEqual([entry, entry]);
    expect(seenSessions).toEqual([session]);
  });

  it('refuses every call once the host rejects the token, and does not retry', async () => {
    const host = await hostWith();
    const clock = manualClock();
    let unauthorized = 0;
    const bridge = createWebSocketBridge({
      url: host.url,
      token: 'wrong-token',
      createSocket: (url) => new WebSocket(url) as unknown as BridgeSocket,
      initialBackoffMs: 10,
      onUnauthorized: () => (unauthorized += 1),
      ...onClock(clock),
    });
    cleanups.push(() => bridge.connection.close());

    const first = await bridge.api.getSession();
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(HOUR);
    const later = await bridge.api.listConnections();

    expect(first).toMatchObject({ ok: false, code: 'BRIDGE_UNAUTHORIZED' });
    expect(later).toMatchObject({ ok: false, code: 'BRIDGE_UNAUTHORIZED' });
    expect(bridge.connection.getState()).toEqual({
      status: 'unauthorized',
      reason: 'rejected-token',
    });
    expect(unauthorized).toBe(1);
    expect(host.connections).toBe(1);
  });

  it('answers an in-flight call BRIDGE_DISCONNECTED when the socket drops, then reconnects', async () => {
    const host = await hostWith({
      reply: (m) => (m.method === 'testConnection' ? undefined : { ok: true, value: session }),
    });
    const { api, connection, states } = connect(host);
    const sessions: SessionView[] = [];
    api.onSession((s) => sessions.push(s));
    await api.getSession();

    const inFlight = api.testConnection({ id: 'conn_abcdef' });
    await until(() =>
      host.received.some((m) => m.type === 'call' && m.method === 'testConnection'),
    );
    host.dropAll();

    expect(await inFlight).toMatchObject({ ok: false, code: 'BRIDGE_DISCONNECTED' });
    await until(() => connection.getState().status === 'connected' && host.connections === 2);
    expect(states.map((s) => s.status)).toEqual([
      'connecting',
      'connected',
      'reconnecting',
      'connecting',
      'connected',
    ]);
    expect(host.received.filter((m) => m.type === 'hello')).toHaveLength(2);

    // Subscriptions made before the drop still receive events.
    host.push('session', session);
    await until(() => sessions.length === 1);
    expect(await api.getSession()).toEqual({ ok: true, value: session });
  });

  it('backs off exponentially up to the cap while the host keeps refusing', async () => {
    const host = await hostWith({ reply: () => ({ ok: true, value: session }) });
    host.refuseWith(1011);
    const clock = manualClock();
    const { connection, states } = connect(host, {
      initialBackoffMs: 10,
      maxBackoffMs: 40,
      random: () => 1,
      ...onClock(clock),
    });
    const count = (status: BridgeState['status']) =>
      states.filter((s) => s.status === status).length;

    for (const [attempt, delay] of [10, 20, 40, 40, 40].entries()) {
      await until(() => count('reconnecting') === attempt + 1);
      expect(states.at(-1)).toEqual({
        status: 'reconnecting',
        attempt: attempt + 1,
        retryAt: clock.nowMs() + delay,
      });
      expect(clock.pendingDelays()).toEqual([delay]);
      const connecting = count('connecting');
      clock.advance(delay - 1);
      expect(count('connecting')).toBe(connecting);
      clock.advance(1);
      expect(count('connecting')).toBe(connecting + 1);
    }

    await until(() => count('reconnecting') === 6);
    host.refuseWith(null);
    clock.advance(40);
    await until(() => connection.getState().status === 'connected');
  });

  it('fails a call made while the host is unreachable after the queue timeout', async () => {
    const host = await hostWith();
    host.refuseWith(1011);
    const clock = manualClock();
    const { api } = connect(host, {
      queueTimeoutMs: 80,
      initialBackoffMs: 1000,
      ...onClock(clock),
    });

    let result: unknown = null;
    void api.getSession().then((r) => (result = r));
    await clock.tick(79);
    expect(result).toBeNull();
    await clock.tick(1);
    expect(result).toMatchObject({ ok: false, code: 'BRIDGE_DISCONNECTED' });
  });

  it('reconnects at once on reconnectNow instead of waiting out the backoff', async () => {
    const host = await hostWith({ reply: () => ({ ok: true, value: session }) });
    const { api, connection } = connect(host, { initialBackoffMs: 60_000, maxBackoffMs: 60_000 });
    await api.getSession();
    host.dropAll();
    await until(() => connection.getState().status === 'reconnecting');

    connection.reconnectNow();

    await until(() => connection.getState().status === 'connected');
    expect(host.connections).toBe(2);
  });

  it('stops for good on close(): pending calls fail and no reconnect happens', async () => {
    const host = await hostWith({ reply: () => undefined });
    const clock = manualClock();
    const { api, connection } = connect(host, onClock(clock));
    await until(() => connection.getState().status === 'connected');
    const pending = api.listInstances();
    await until(() => host.received.length === 2);

    connection.close();

    expect(await pending).toMatchObject({ ok: false, code: 'BRIDGE_DISCONNECTED' });
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(HOUR);
    expect(connection.getState()).toEqual({ status: 'closed' });
    expect(host.connections).toBe(1);
  });
});
