import { describe, expect, it } from 'vitest';
import { manualClock } from './manualClock.js';

describe('manualClock', () => {
  const start = new Date('2026-01-01T00:00:00Z');

  it('stands still until advanced', () => {
    const clock = manualClock(start);
    expect(clock.now()).toEqual(start);
    clock.advance(1500);
    expect(clock.nowMs()).toBe(start.getTime() + 1500);
  });

  it('fires a timeout only once time reaches its due time, and shows the time it was due', () => {
    const clock = manualClock(start);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.nowMs() - start.getTime()), 1000);
    clock.advance(999);
    expect(fired).toEqual([]);
    clock.advance(5000);
    expect(fired).toEqual([1000]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('fires timers in due order, ties in the order they were set, and runs timers they set', () => {
    const clock = manualClock(start);
    const order: string[] = [];
    clock.setTimeout(() => order.push('b'), 20);
    clock.setTimeout(() => order.push('a'), 10);
    clock.setTimeout(() => {
      order.push('c');
      clock.setTimeout(() => order.push('d'), 5);
    }, 20);
    clock.advance(25);
    expect(order).toEqual(['a', 'b', 'c', 'd']);
  });

  it('does not fire a cleared timeout', () => {
    const clock = manualClock(start);
    let fired = false;
    const handle = clock.setTimeout(() => (fired = true), 10);
    clock.clearTimeout(handle);
    clock.advance(100);
    expect(fired).toBe(false);
  });

  it('repeats an interval once per period until cleared', () => {
    const clock = manualClock(start);
    let count = 0;
    const handle = clock.setInterval(() => count++, 100);
    clock.advance(350);
    expect(count).toBe(3);
    clock.clearInterval(handle);
    clock.advance(1000);
    expect(count).toBe(3);
  });

  it('runs the timers due on a jump forward, none on a jump back', () => {
    const clock = manualClock(start);
    let count = 0;
    clock.setTimeout(() => count++, 60_000);
    clock.set(new Date(start.getTime() - 1000));
    expect(count).toBe(0);
    clock.set(new Date(start.getTime() + 60_000));
    expect(count).toBe(1);
  });

  it('reports the waiting delays, earliest first', () => {
    const clock = manualClock(start);
    clock.setTimeout(() => undefined, 300);
    clock.setTimeout(() => undefined, 100);
    clock.advance(50);
    expect(clock.pendingDelays()).toEqual([50, 250]);
  });

  it('tick lets async work started by a timer settle before the next one fires', async () => {
    const clock = manualClock(start);
    const seen: string[] = [];
    clock.setTimeout(() => {
      void Promise.resolve()
        .then(() => Promise.resolve())
        .then(() => {
          seen.push('async work done');
          clock.setTimeout(() => seen.push('follow-up'), 10);
        });
    }, 10);
    await clock.tick(20);
    expect(seen).toEqual(['async work done', 'follow-up']);
  });

  it('whenScheduled answers a waiting timer at once, else the next matching one set', async () => {
    const clock = manualClock(start);
    clock.setTimeout(() => undefined, 30_000);
    expect(await clock.whenScheduled()).toBe(30_000);
    const retry = clock.whenScheduled((delay) => delay < 1000);
    setImmediate(() => {
      clock.setTimeout(() => undefined, 5000);
      clock.setTimeout(() => undefined, 250);
    });
    expect(await retry).toBe(250);
  });

  it('whenScheduled fails clearly when no matching timer comes', async () => {
    const clock = manualClock(start);
    await expect(clock.whenScheduled(() => true, 20)).rejects.toThrow(/no matching timer/);
  });
});
