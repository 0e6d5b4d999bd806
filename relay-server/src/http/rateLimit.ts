import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../errors/appError.js';
import type { AppContext, AppMiddleware } from './context.js';

export interface RateRule {
  points: number;
  durationSeconds: number;
}

/** Budgets by purpose. Per-account budgets stop guessing; per-IP ones are wide for shared NATs. */
export interface RateLimitConfig {
  /** All auth endpoints, per client IP. */
  authPerIp: RateRule;
  /** Failed logins per account; when spent, even a right password waits. */
  loginFailuresPerAccount: RateRule;
  /** Reset and verification emails per account (keyed by the email asked for). */
  mailPerAccount: RateRule;
  /** Reset and verification token attempts per IP. */
  tokenAttemptsPerIp: RateRule;
  subdomainCheckPerUser: RateRule;
  /** Tunnel calls (register, heartbeat, status, disconnect) per instance. */
  tunnelPerInstance: RateRule;
}

export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  authPerIp: { points: 300, durationSeconds: 300 },
  loginFailuresPerAccount: { points: 10, durationSeconds: 900 },
  mailPerAccount: { points: 5, durationSeconds: 3600 },
  tokenAttemptsPerIp: { points: 60, durationSeconds: 600 },
  subdomainCheckPerUser: { points: 120, durationSeconds: 60 },
  tunnelPerInstance: { points: 120, durationSeconds: 60 },
};

export type Bucket = keyof RateLimitConfig;

function limited(res: RateLimiterRes): AppError {
  const retry = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new AppError(
    'RATE_LIMITED',
    `Too many requests; try again in ${retry} second${retry === 1 ? '' : 's'}`,
    { retry_after_seconds: retry },
    { 'Retry-After': String(retry) },
  );
}

/** In-memory token buckets (rate-limiter-flexible); one limiter per purpose. */
export class RateLimits {
  private readonly limiters: Record<Bucket, RateLimiterMemory>;

  constructor(readonly config: RateLimitConfig = DEFAULT_RATE_LIMITS) {
    this.limiters = Object.fromEntries(
      Object.entries(config).map(([bucket, rule]) => [
        bucket,
        new RateLimiterMemory({
          keyPrefix: bucket,
          points: rule.points,
          duration: rule.durationSeconds,
        }),
      ]),
    ) as Record<Bucket, RateLimiterMemory>;
  }

  /** Spend one point or throw RATE_LIMITED with Retry-After. */
  async consume(bucket: Bucket, key: string): Promise<void> {
    try {
      await this.limiters[bucket].consume(key);
    } catch (e) {
      if (e instanceof RateLimiterRes) throw limited(e);
      throw e;
    }
  }

  /** Throw RATE_LIMITED if the budget is already spent, without spending. */
  async check(bucket: Bucket, key: string): Promise<void> {
    const res = await this.limiters[bucket].get(key);
    if (res && res.remainingPoints <= 0 && res.consumedPoints > this.config[bucket].points - 1) {
      throw limited(res);
    }
  }

  async reset(bucket: Bucket, key: string): Promise<void> {
    await this.limiters[bucket].delete(key);
  }
}

/** Middleware spending one point of `bucket` per request under the key `keyOf(ctx)`. */
export function rateLimit(
  limits: RateLimits,
  bucket: Bucket,
  keyOf: (ctx: AppContext) => string,
): AppMiddleware {
  return async (ctx, next) => {
    await limits.consume(bucket, keyOf(ctx));
    await next();
  };
}
