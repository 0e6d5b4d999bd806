import { describe, expect, it } from 'vitest';
import { backoffDelay, backoffPolicy, DEFAULT_BACKOFF } from './backoff.js';

describe('backoffDelay', () => {
  const noJitter = backoffPolicy({ initialMs: 100, factor: 2, capMs: 1_000, jitter: 0 });

  it('grows by the factor from the initial delay', () => {
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, noJitter))).toEqual([100, 200, 400, 800]);
  });

  it('never exceeds the cap', () => {
    expect([4, 5, 10, 60, 2_000].map((n) => backoffDelay(n, noJitter))).toEqual([
      1_000, 1_000, 1_000, 1_000, 1_000,
    ]);
  });

  it('takes at most the jitter share off, never adds to the delay', () => {
    const policy = backoffPolicy({ initialMs: 1_000, factor: 2, capMs: 8_000, jitter: 0.25 });
    expect(backoffDelay(0, policy, () => 0)).toBe(1_000);
    expect(backoffDelay(0, policy, () => 0.5)).toBe(875);
    expect(backoffDelay(0, policy, () => 0.999_999)).toBe(750);
    for (let i = 0; i < 1_000; i++) {
      const attempt = i % 6;
      const base = Math.min(8_000, 1_000 * 2 ** attempt);
      const delay = backoffDelay(attempt, policy);
      expect(delay).toBeGreaterThanOrEqual(base * 0.75);
      expect(delay).toBeLessThanOrEqual(base);
    }
  });

  it('spreads delays when jitter is on (no two agents in lockstep)', () => {
    const policy = backoffPolicy({ jitter: 0.5 });
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(3, policy)));
    expect(delays.size).toBeGreaterThan(10);
  });
});

describe('backoffPolicy', () => {
  it('fills in the defaults', () => {
    expect(backoffPolicy()).toEqual(DEFAULT_BACKOFF);
    expect(backoffPolicy({ capMs: 5_000 })).toEqual({ ...DEFAULT_BACKOFF, capMs: 5_000 });
  });

  it.each([
    [{ initialMs: 0 }, 'initialMs must be > 0'],
    [{ factor: 0.5 }, 'factor must be ≥ 1'],
    [{ initialMs: 2_000, capMs: 1_000 }, 'capMs must be ≥ initialMs'],
    [{ jitter: 1.5 }, 'jitter must be within 0–1'],
  ])('rejects %j with CONFIG_INVALID', (partial, problem) => {
    expect(() => backoffPolicy(partial)).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() => backoffPolicy(partial)).toThrow(problem);
  });
});
