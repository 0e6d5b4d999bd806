import type {
  DesktopApi,
  DesktopMethod,
  EventChannel,
  EventPayloads,
  FailureCode,
  Result,
} from '@cloud-connect/agent-core/desktop';
import type { BridgeConnection, BridgeState } from '../bridge/bridgeState.js';
import { desktopApiFromCall } from '../bridge/desktopApiFromCall.js';
import { createAppStore } from '../store/appStore.js';
import type { StoreDeps } from '../store/storeTypes.js';
import { freeSubscription, signedOut } from './views.js';

export { connectionView, freeSubscription, signedIn, signedOut } from './views.js';

/** Adds a listener to a set; answers the function that takes it out again. */
function subscribeTo<L>(set: Set<L>, listener: L): () => void {
  set.add(listener);
  return () => void set.delete(listener);
}

/**
 * Test support for the store's unit tests (imported only by `*.test.ts`): a DesktopApi whose
 * answers each test scripts, which records every call and can push events as the host does.
 * The real host (Manager + web host) is exercised by the GUI tests under e2e/.
 */
export function scriptedDesktopApi() {
  const calls: Array<{ method: DesktopMethod; args: unknown[] }> = [];
  const handlers = new Map<DesktopMethod, (...args: unknown[]) => Promise<Result<unknown>>>();
  const listeners: { [C in EventChannel]: Set<(payload: EventPayloads[C]) => void> } = {
    connections: new Set(),
    session: new Set(),
    log: new Set(),
  };
  const defaults: Partial<Record<DesktopMethod, unknown>> = {
    getSession: signedOut,
    getAppInfo: {
      version: '0.1.0',
      host: 'web',
      platform: 'linux',
      launchAtLogin: null,
      localRelayUrl: null,
    },
    listConnections: [],
    listInstances: [],
    getLogs: [],
    getSubscription: freeSubscription,
    listContainers: { available: false, reason: 'no Docker socket', containers: [] },
    openExternal: { opened: true },
  };

  const api: DesktopApi = desktopApiFromCall(
    (method, args) => {
      calls.push({ method, args });
      const handler = handlers.get(method);
      if (handler) return handler(...args);
      if (method in defaults) return Promise.resolve({ ok: true, value: defaults[method] });
      // A code no host sends, so a test that forgot to script a call sees it for what it is.
      return Promise.resolve({ ok: false, code: 'NOT_SCRIPTED' as FailureCode, message: method });
    },
    (channel, listener) => subscribeTo(listeners[channel], listener),
  );

  return {
    api,
    calls,
    /** Calls of one method, in order. */
    callsOf: (method: DesktopMethod) => calls.filter((c) => c.method === method).map((c) => c.args),
    /** Scripts one method's answer. */
    handle<M extends DesktopMethod>(method: M, handler: DesktopApi[M]): void {
      handlers.set(method, handler as unknown as (...args: unknown[]) => Promise<Result<unknown>>);
    },
    /** Answers one method with a fixed Result. */
    answer(method: DesktopMethod, result: Result<unknown>): void {
      handlers.set(method, () => Promise.resolve(result));
    },
    /** Pushes an event as the host does. */
    emit<C extends EventChannel>(channel: C, payload: EventPayloads[C]): void {
      for (const listener of [...listeners[channel]]) listener(payload);
    },
    listenerCount: (channel: EventChannel) => listeners[channel].size,
  };
}

/** A bridge connection whose state the test sets. */
export function scriptedConnection(initial: BridgeState = { status: 'connected' }) {
  let state = initial;
  const stateListeners = new Set<(state: BridgeState) => void>();
  let reconnects = 0;
  const connection: BridgeConnection = {
    getState: () => state,
    onState: (listener) => subscribeTo(stateListeners, listener),
    reconnectNow: () => {
      reconnects += 1;
    },
    close: () => {},
  };
  return {
    connection,
    get reconnects() {
      return reconnects;
    },
    setState(next: BridgeState) {
      state = next;
      for (const listener of [...stateListeners]) listener(next);
    },
  };
}

/** A store over a scripted host, with the doubles to drive it. */
export function scriptedStore(extra: Partial<StoreDeps> = {}) {
  const host = scriptedDesktopApi();
  const link = scriptedConnection();
  const opened: string[] = [];
  const preferences = new Map<string, string>();
  let now = Date.parse('2025-06-01T12:00:00.000Z');
  const store = createAppStore({
    api: host.api,
    connection: link.connection,
    openWindow: (url) => opened.push(url),
    preferences: {
      getItem: (key) => preferences.get(key) ?? null,
      setItem: (key, value) => void preferences.set(key, value),
    },
    now: () => now,
    subdomainCheckDelayMs: 300,
    ...extra,
  });
  return {
    store,
    host,
    link,
    opened,
    preferences,
    advanceClock(ms: number) {
      now += ms;
    },
  };
}

/** Lets pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
