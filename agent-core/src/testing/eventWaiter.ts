import type { EventEmitter } from 'node:events';

/** An event map as typed EventEmitters declare them: event name → listener arguments. */
type EventMapOf<T> = { [K in keyof T]: unknown[] };

/**
 * Resolve with the arguments of the next `name` event that satisfies `predicate`; reject
 * after `timeoutMs` with a message naming the event, so a hung wait fails the test clearly.
 */
export function waitForEvent<T extends EventMapOf<T>, K extends keyof T & string>(
  emitter: EventEmitter<T>,
  name: K,
  predicate: (...args: T[K]) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<T[K]> {
  // The typed EventEmitter's listener type cannot be expressed for a generic K; this view can.
  const untyped = emitter as unknown as EventEmitter;
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]) => {
      if (!predicate(...(args as T[K]))) return;
      clearTimeout(timer);
      untyped.off(name, listener);
      resolve(args as T[K]);
    };
    const timer = setTimeout(() => {
      untyped.off(name, listener);
      reject(new Error(`no matching "${name}" event within ${timeoutMs} ms`));
    }, timeoutMs);
    untyped.on(name, listener);
  });
}
