import type {
  ClientMessage,
  DesktopApi,
  DesktopMethod,
  EventChannel,
  EventPayloads,
  Result,
} from '@cloud-connect/agent-core/desktop';
import type { BridgeConnection, BridgeErrorCode, BridgeState } from './bridgeState.js';
import { desktopApiFromCall, type SubscribeTransport } from './desktopApiFromCall.js';
import { CLOSE_UNAUTHORIZED } from './protocolConstants.js';

/** The part of the browser's WebSocket the bridge uses (the `ws` package has the same). */
export interface BridgeSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: never) => void) | null;
}

/**
 * The timers the bridge schedules reconnects and queue timeouts with: the browser's by
 * default, a manual clock's in tests (so backoff and timeouts are proved without waiting).
 */
export interface BridgeTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const browserTimers: BridgeTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface WebSocketBridgeOptions {
  /** `ws://127.0.0.1:5174/ws` */
  url: string;
  /** The web host's access token, sent in the `hello` message. */
  token: string;
  createSocket?: (url: string) => BridgeSocket;
  /** First reconnect delay; doubles per failed attempt up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long a call made while the socket is down waits before it fails. */
  queueTimeoutMs?: number;
  random?: () => number;
  /** Milliseconds since the epoch, for the announced `retryAt`. */
  now?: () => number;
  timers?: BridgeTimers;
  /** Called when the host refuses the token (close code 4401). */
  onUnauthorized?: () => void;
}

type AnyResult = Result<unknown>;
type Resolve = (result: AnyResult) => void;

interface QueuedCall {
  method: DesktopMethod;
  args: unknown[];
  resolve: Resolve;
  timer: unknown;
}

const OPEN = 1;

function failure(code: BridgeErrorCode, message: string): AnyResult {
  return { ok: false, code, message };
}

const DISCONNECTED_MESSAGE =
  'Lost the connection to Cloud Connect before it answered. It reconnects by itself; try again in a moment.';
const UNAUTHORIZED_MESSAGE =
  'This page is not authorised to talk to Cloud Connect. Open the link the web host printed again.';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * The DesktopApi over the web host's WebSocket (agent-core `bridgeProtocol.ts`): `hello` with
 * the access token, then calls answered by id and events pushed by the host. Every call
 * resolves to a Result, never rejects: a dropped socket answers BRIDGE_DISCONNECTED and a
 * refused token BRIDGE_UNAUTHORIZED. The socket reconnects with exponential backoff and jitter;
 * event subscriptions survive reconnects.
 */
export function createWebSocketBridge(options: WebSocketBridgeOptions): {
  api: DesktopApi;
  connection: BridgeConnection;
} {
  const createSocket =
    options.createSocket ?? ((url: string) => new WebSocket(url) as unknown as BridgeSocket);
  const initialBackoff = options.initialBackoffMs ?? 500;
  const maxBackoff = options.maxBackoffMs ?? 10_000;
  const queueTimeout = options.queueTimeoutMs ?? 15_000;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const timers = options.timers ?? browserTimers;

  let state: BridgeState = { status: 'connecting', attempt: 0 };
  let socket: BridgeSocket | null = null;
  let ready = false;
  let failedAttempts = 0;
  let retryTimer: unknown = null;
  let nextId = 1;
  const inFlight = new Map<number, Resolve>();
  const queue: QueuedCall[] = [];
  const stateListeners = new Set<(state: BridgeState) => void>();
  const eventListeners: { [C in EventChannel]: Set<(payload: EventPayloads[C]) => void> } = {
    connections: new Set(),
    session: new Set(),
    log: new Set(),
  };

  function setState(next: BridgeState): void {
    state = next;
    for (const listener of [...stateListeners]) listener(next);
  }

  function send(message: ClientMessage): boolean {
    if (!socket || socket.readyState !== OPEN) return false;
    try {
      socket.send(JSON.stringify(message));
      return true;
    } catch {
      return false;
    }
  }

  function dispatchCall(method: DesktopMethod, args: unknown[], resolve: Resolve): void {
    const id = nextId++;
    inFlight.set(id, resolve);
    if (!send({ type: 'call', id, method, args })) {
      inFlight.delete(id);
      resolve(failure('BRIDGE_DISCONNECTED', DISCONNECTED_MESSAGE));
    }
  }

  function failAll(code: BridgeErrorCode, message: string, includeQueue: boolean): void {
    const pending = [...inFlight.values()];
    inFlight.clear();
    for (const resolve of pending) resolve(failure(code, message));
    if (!includeQueue) return;
    for (const call of queue.splice(0)) {
      timers.clearTimeout(call.timer);
      call.resolve(failure(code, message));
    }
  }

  function flushQueue(): void {
    for (const call of queue.splice(0)) {
      timers.clearTimeout(call.timer);
      dispatchCall(call.method, call.args, call.resolve);
    }
  }

  function emit<C extends EventChannel>(channel: C, payload: EventPayloads[C]): void {
    for (const listener of [...eventListeners[channel]]) {
      try {
        listener(payload);
      } catch (error) {
        // One broken subscriber must not starve the others of events.
        console.error(`cloud-connect: a ${channel} listener failed`, error);
      }
    }
  }

  function handleMessage(raw: unknown): void {
    if (typeof raw !== 'string') return;
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    if (!isObject(message)) return;
    if (message.type === 'ready') {
      ready = true;
      failedAttempts = 0;
      setState({ status: 'connected' });
      flushQueue();
    } else if (message.type === 'result' && typeof message.id === 'number') {
      const resolve = inFlight.get(message.id);
      if (!resolve) return;
      inFlight.delete(message.id);
      resolve(
        isObject(message.result) && typeof message.result.ok === 'boolean'
          ? (message.result as AnyResult)
          : failure('BRIDGE_DISCONNECTED', 'Cloud Connect sent an answer the app cannot read.'),
      );
    } else if (message.type === 'event') {
      const { channel, payload } = message;
      if (channel === 'connections' && Array.isArray(payload)) {
        emit('connections', payload as EventPayloads['connections']);
      } else if (channel === 'session' && isObject(payload)) {
        emit('session', payload as unknown as EventPayloads['session']);
      } else if (channel === 'log' && isObject(payload)) {
        emit('log', payload as unknown as EventPayloads['log']);
      }
    }
  }

  function scheduleReconnect(): void {
    failedAttempts += 1;
    const ceiling = Math.min(maxBackoff, initialBackoff * 2 ** (failedAttempts - 1));
    // Full jitter on the upper half keeps many tabs from reconnecting in lockstep.
    const delay = Math.round(ceiling / 2 + (random() * ceiling) / 2);
    setState({ status: 'reconnecting', attempt: failedAttempts, retryAt: now() + delay });
    retryTimer = timers.setTimeout(() => {
      retryTimer = null;
      open();
    }, delay);
  }

  function open(): void {
    ready = false;
    setState({ status: 'connecting', attempt: failedAttempts });
    let current: BridgeSocket;
    try {
      current = createSocket(options.url);
    } catch {
      scheduleReconnect();
      return;
    }
    socket = current;
    current.onopen = () => {
      if (socket === current) send({ type: 'hello', token: options.token });
    };
    current.onmessage = (event) => {
      if (socket === current) handleMessage(event.data);
    };
    current.onerror = () => {
      // A close event always follows; that is where the state changes.
    };
    current.onclose = (event) => {
      if (socket !== current) return;
      socket = null;
      ready = false;
      if (state.status === 'closed') return;
      if (event.code === CLOSE_UNAUTHORIZED) {
        failAll('BRIDGE_UNAUTHORIZED', UNAUTHORIZED_MESSAGE, true);
        setState({ status: 'unauthorized', reason: 'rejected-token' });
        options.onUnauthorized?.();
        return;
      }
      failAll('BRIDGE_DISCONNECTED', DISCONNECTED_MESSAGE, false);
      scheduleReconnect();
    };
  }

  function call(method: DesktopMethod, rawArgs: unknown[]): Promise<AnyResult> {
    // JSON turns a trailing `undefined` into `null`, which an optional argument refuses.
    const args = [...rawArgs];
    while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
    return new Promise<AnyResult>((resolve) => {
      if (state.status === 'unauthorized') {
        resolve(failure('BRIDGE_UNAUTHORIZED', UNAUTHORIZED_MESSAGE));
      } else if (state.status === 'closed') {
        resolve(failure('BRIDGE_DISCONNECTED', DISCONNECTED_MESSAGE));
      } else if (ready) {
        dispatchCall(method, args, resolve);
      } else {
        const entry: QueuedCall = {
          method,
          args,
          resolve,
          timer: timers.setTimeout(() => {
            const index = queue.indexOf(entry);
            if (index >= 0) queue.splice(index, 1);
            resolve(failure('BRIDGE_DISCONNECTED', DISCONNECTED_MESSAGE));
          }, queueTimeout),
        };
        queue.push(entry);
      }
    });
  }

  const subscribe: SubscribeTransport = (channel, listener) => {
    const listeners = eventListeners[channel];
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  };

  const api = desktopApiFromCall(call, subscribe);

  const connection: BridgeConnection = {
    getState: () => state,
    onState: (listener) => {
      stateListeners.add(listener);
      return () => {
        stateListeners.delete(listener);
      };
    },
    reconnectNow: () => {
      if (state.status !== 'reconnecting' || retryTimer === null) return;
      timers.clearTimeout(retryTimer);
      retryTimer = null;
      open();
    },
    close: () => {
      if (retryTimer !== null) timers.clearTimeout(retryTimer);
      retryTimer = null;
      setState({ status: 'closed' });
      failAll('BRIDGE_DISCONNECTED', DISCONNECTED_MESSAGE, true);
      socket?.close(1000, 'closed by the app');
      socket = null;
    },
  };

  open();
  return { api, connection };
}
