import type { Clock } from '../clock.js';

/** A clock that stands still until the test moves it, for time rules (heartbeats, expiry). */
export interface ManualClock extends Clock {
  /** Move time forward by `ms` milliseconds. */
  advance(ms: number): void;
  set(at: Date): void;
}

/**
 * A manual clock starting at `start` (now by default). Keep it near the real time: the store
 * prunes expired email and refresh tokens by wall-clock time, so a clock far in the past makes
 * fresh tokens look long expired.
 */
export function manualClock(start: Date = new Date()): ManualClock {
  let at = start.getTime();
  return {
    now: () => new Date(at),
    advance(ms) {
      at += ms;
    },
    set(date) {
      at = date.getTime();
    },
  };
}
