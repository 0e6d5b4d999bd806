import type { Clock, TimerHandle, Timers } from '../time/clock.js';

/**
 * A clock and timers that stand still until the test moves them, for time rules (backoff,
 * grace periods, heartbeats, expiry, snapshot ages). Timers fire only when time is moved past
 * their due time, in due order (ties in the order they were set).
 */
export interface ManualClock extends Clock, Timers {
  /** Move time forward by `ms`, running every timer that falls due on the way, synchronously. */
  advance(ms: number): void;
  /**
   * Move time forward by `ms` like `advance`, but let promise work settle before the first
   * timer and after each one: for code whose timer callbacks start async work (a restart
   * that awaits a driver) so the test sees the state after that work.
   */
  tick(ms: number): Promise<void>;
  /** Jump to `at`; a jump forward runs the timers due on the way, a jump back runs none. */
  set(at: Date): void;
  /** Milliseconds since the epoch, like `Date.now()`. */
  nowMs(): number;
  /** How many timers are waiting (an interval counts once). */
  pendingTimers(): number;
  /** Due times of the waiting timers, earliest first, as offsets in ms from now. */
  pendingDelays(): number[];
  /**
   * Resolve with the delay (ms from now) of the first waiting timer that `matches`, looking at
   * those waiting now and then at each one set later: for code that sets a timer after async
   * work (a restart scheduled once the old process is stopped). Rejects after `timeoutMs` of
   * real time so a timer that never comes fails the test clearly.
   */
  whenScheduled(matches?: (delayMs: number) => boolean, timeoutMs?: number): Promise<number>;
}

interface Scheduled {
  readonly seq: number;
  dueAt: number;
  readonly callback: () => void;
  /** Set for intervals: the period to reschedule with. */
  readonly everyMs: number | null;
}

class ManualHandle implements TimerHandle {
  constructor(readonly seq: number) {}
  unref(): this {
    return this;
  }
}

/** Let every queued promise reaction run (a macrotask turn comes after all of them). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A manual clock starting at `start` (now by default). Keep it near the real time where the
 * code compares it with wall-clock data (the relay's store prunes expired tokens by it).
 */
export function manualClock(start: Date = new Date()): ManualClock {
  let at = start.getTime();
  let nextSeq = 0;
  const timers = new Map<number, Scheduled>();
  /** Waiters of whenScheduled, told of every timer set. */
  const watchers = new Set<(t: Scheduled) => void>();

  const schedule = (callback: () => void, ms: number, every: boolean): TimerHandle => {
    // Like Node: a negative, NaN or zero delay means "as soon as possible", not "never".
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const seq = nextSeq++;
    const scheduled: Scheduled = {
      seq,
      dueAt: at + delay,
      callback,
      everyMs: every ? Math.max(1, delay) : null,
    };
    timers.set(seq, scheduled);
    for (const watcher of [...watchers]) watcher(scheduled);
    return new ManualHandle(seq);
  };
  const cancel = (handle: TimerHandle | null | undefined) => {
    if (handle instanceof ManualHandle) timers.delete(handle.seq);
  };
  /** The earliest timer due at or before `until`, if any. */
  const nextDue = (until: number): Scheduled | undefined => {
    let best: Scheduled | undefined;
    for (const t of timers.values()) {
      if (t.dueAt > until) continue;
      if (!best || t.dueAt < best.dueAt || (t.dueAt === best.dueAt && t.seq < best.seq)) best = t;
    }
    return best;
  };
  const fire = (t: Scheduled) => {
    at = Math.max(at, t.dueAt);
    if (t.everyMs === null) timers.delete(t.seq);
    else t.dueAt += t.everyMs;
    t.callback();
  };
  const runUntil = (target: number) => {
    for (let t = nextDue(target); t; t = nextDue(target)) fire(t);
    at = Math.max(at, target);
  };

  return {
    now: () => new Date(at),
    nowMs: () => at,
    setTimeout: (callback, ms) => schedule(callback, ms, false),
    clearTimeout: cancel,
    setInterval: (callback, ms) => schedule(callback, ms, true),
    clearInterval: cancel,
    advance(ms) {
      runUntil(at + ms);
    },
    async tick(ms) {
      const target = at + ms;
      await settle();
      for (let t = nextDue(target); t; t = nextDue(target)) {
        fire(t);
        await settle();
      }
      at = Math.max(at, target);
    },
    set(date) {
      const target = date.getTime();
      if (target >= at) runUntil(target);
      else at = target;
    },
    pendingTimers: () => timers.size,
    pendingDelays: () => [...timers.values()].map((t) => t.dueAt - at).sort((a, b) => a - b),
    whenScheduled(matches = () => true, timeoutMs = 10_000) {
      const waiting = [...timers.values()].find((t) => matches(t.dueAt - at));
      if (waiting) return Promise.resolve(waiting.dueAt - at);
      return new Promise<number>((resolve, reject) => {
        const watcher = (t: Scheduled) => {
          if (!matches(t.dueAt - at)) return;
          watchers.delete(watcher);
          clearTimeout(guard);
          resolve(t.dueAt - at);
        };
        // Real time on purpose: the manual clock does not move while the test waits here.
        const guard = setTimeout(() => {
          watchers.delete(watcher);
          reject(new Error(`no matching timer was set within ${timeoutMs} ms`));
        }, timeoutMs);
        watchers.add(watcher);
      });
    },
  };
}
