import { describe, expect, it } from 'vitest';
import { KeyedLock } from './keyedLock.js';

/** A promise with its resolve function outside, to decide when work ends. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { opened, open };
}

describe('KeyedLock', () => {
  it('runs calls with one key one after another, in call order', async () => {
    const lock = new KeyedLock();
    const events: string[] = [];
    const first = gate();
    const a = lock.run('c1', async () => {
      events.push('a start');
      await first.opened;
      events.push('a end');
      return 'a';
    });
    const b = lock.run('c1', async () => {
      events.push('b start');
      return 'b';
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(events).toEqual(['a start']);
    first.open();
    expect(await Promise.all([a, b])).toEqual(['a', 'b']);
    expect(events).toEqual(['a start', 'a end', 'b start']);
  });

  it('runs calls with different keys side by side', async () => {
    const lock = new KeyedLock();
    const held = gate();
    const events: string[] = [];
    const a = lock.run('c1', async () => {
      await held.opened;
      events.push('c1');
    });
    await lock.run('c2', async () => {
      events.push('c2');
    });
    expect(events).toEqual(['c2']);
    held.open();
    await a;
    expect(events).toEqual(['c2', 'c1']);
  });

  it('goes on with the next call after one rejects, and passes the rejection to its caller', async () => {
    const lock = new KeyedLock();
    const failed = lock.run('c1', () => Promise.reject(new Error('boom')));
    const next = lock.run('c1', async () => 'next');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next');
  });

  it('forgets a key once its last call has ended', async () => {
    const lock = new KeyedLock();
    const held = gate();
    const a = lock.run('c1', () => held.opened);
    expect(lock.busyKeys).toEqual(['c1']);
    held.open();
    await a;
    await new Promise((r) => setImmediate(r));
    expect(lock.busyKeys).toEqual([]);
  });
});
