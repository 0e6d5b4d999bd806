import { describe, expect, it } from 'vitest';
import { DEFAULT_LOGIN_THROTTLE, LoginThrottle, MemoryAttemptStore } from './loginThrottle.js';

describe('MemoryAttemptStore', () => {
  it('never holds more records than its cap, evicting the least recently written, while the latest guesser stays counted', async () => {
    const store = new MemoryAttemptStore(10);
    const throttle = new LoginThrottle(DEFAULT_LOGIN_THROTTLE, store);
    const now = new Date('2026-01-01T00:00:00Z');
    // A flood of failures, each from a new address for a new account (two records each).
    for (let i = 0; i < 500; i++) {
      await throttle.failed(`victim-${i}@example.test`, `203.0.113.${i % 250}`, now);
      expect(store.size).toBeLessThanOrEqual(10);
    }
    for (let i = 0; i < DEFAULT_LOGIN_THROTTLE.freePerSource; i++) {
      await throttle.failed('owner@example.test', '198.51.100.1', now);
    }
    expect(store.size).toBeLessThanOrEqual(10);
    await expect(throttle.check('owner@example.test', '198.51.100.1', now)).rejects.toMatchObject({
      code: 'RATE_LIMITED',
    });
    // The oldest flood records were evicted: that account and address start afresh.
    await expect(throttle.check('victim-0@example.test', '203.0.113.0', now)).resolves.toBe(
      undefined,
    );
    expect(await store.get('login-fail:victim-0@example.test', now)).toBeNull();
  });
});
