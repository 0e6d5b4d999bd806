import { TunnelError } from '../tunnelError.js';

/** How long the supervisor waits before restart number n: exponential, capped, jittered. */
export interface BackoffPolicy {
  /** Delay before the first restart. */
  initialMs: number;
  /** Growth per consecutive failure (≥ 1). */
  factor: number;
  /** No delay is longer than this. */
  capMs: number;
  /**
   * Fraction of the delay (0–1) taken off at random, so many agents that lost the same
   * server do not all come back in the same instant.
   */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  initialMs: 1_000,
  factor: 2,
  capMs: 60_000,
  jitter: 0.2,
};

/** Complete a partial policy with the defaults and reject nonsense with CONFIG_INVALID. */
export function backoffPolicy(partial: Partial<BackoffPolicy> = {}): BackoffPolicy {
  const policy = { ...DEFAULT_BACKOFF, ...partial };
  const problems: string[] = [];
  if (!(policy.initialMs > 0)) problems.push('initialMs must be > 0');
  if (!(policy.factor >= 1)) problems.push('factor must be ≥ 1');
  if (!(policy.capMs >= policy.initialMs)) problems.push('capMs must be ≥ initialMs');
  if (!(policy.jitter >= 0 && policy.jitter <= 1)) problems.push('jitter must be within 0–1');
  if (problems.length > 0) {
    throw new TunnelError('CONFIG_INVALID', `Invalid backoff: ${problems.join(', ')}`, {
      problems,
    });
  }
  return policy;
}

/**
 * The delay before restart `attempt` (0 for the first): `min(cap, initial·factor^attempt)`
 * less a random share of at most `jitter` of it, so it always lies in
 * `[base·(1 − jitter), base]` and never exceeds the cap.
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const base = Math.min(policy.capMs, policy.initialMs * policy.factor ** Math.max(0, attempt));
  const share = Math.min(Math.max(random(), 0), 1);
  return Math.round(base * (1 - policy.jitter * share));
}
