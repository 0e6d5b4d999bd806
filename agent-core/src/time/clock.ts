/**
 * Time as the code sees it, passed in so tests can move it: a clock for "now" and timers for
 * "later". Code with time rules (backoff, grace periods, snapshot ages, expiry) takes both and
 * never reads `Date.now()` or calls the global timers itself.
 */

/** The current time. */
export interface Clock {
  now(): Date;
}

/**
 * What a scheduled callback hands back: `unref()` lets the process exit while it is pending
 * (a Node `Timeout` fits this shape; a manual clock's handle does nothing on it).
 */
export interface TimerHandle {
  unref(): unknown;
}

/** Scheduling, the subset of Node's timers that time rules need. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | null | undefined): void;
  setInterval(callback: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle | null | undefined): void;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => new Date() };

/** Node's timers. */
export const systemTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  // The handles came from the functions above, so they are Node Timeouts.
  clearTimeout: (handle) => clearTimeout((handle ?? undefined) as NodeJS.Timeout | undefined),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval((handle ?? undefined) as NodeJS.Timeout | undefined),
};
