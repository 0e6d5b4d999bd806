import {
  DesktopEvents,
  type DesktopApi,
  type EventChannel,
  type EventPayloads,
} from '@cloud-connect/agent-core/desktop';

const EVENT_METHODS: ReadonlySet<string> = new Set(Object.values(DesktopEvents));

/**
 * A DesktopApi for the hosts' tests: every request method records its call and answers
 * `{ ok: true, value: <method> }` (or throws, for the method named `throwing`); event
 * subscriptions are kept so the test can `emit` on a channel.
 */
export function recordingDesktopApi(throwing?: string) {
  const calls: Array<{ method: string; args: unknown[] }> = [];
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const api = new Proxy(
    {},
    {
      get: (_target, method: string) => {
        if (EVENT_METHODS.has(method)) {
          return (listener: (payload: unknown) => void) => {
            const set = listeners.get(method) ?? new Set();
            listeners.set(method, set.add(listener));
            return () => set.delete(listener);
          };
        }
        return async (...args: unknown[]) => {
          if (method === throwing) throw new Error('secret detail of a bug');
          calls.push({ method, args });
          return { ok: true, value: method };
        };
      },
    },
  ) as DesktopApi;
  return {
    api,
    calls,
    emit<C extends EventChannel>(channel: C, payload: EventPayloads[C]) {
      for (const listener of listeners.get(DesktopEvents[channel]) ?? []) listener(payload);
    },
  };
}
