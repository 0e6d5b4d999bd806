import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { AppContext, AppMiddleware } from './context.js';
import {
  DEFAULT_LOGIN_THROTTLE,
  LoginThrottle,
  rateLimited,
  type LoginThrottleConfig,
} from './loginThrottle.js';

export interface RateRule {
  points: number;
  durationSeconds: number;
}

/** Budgets by purpose. Per-account budgets stop guessing; per-IP ones are wide for shared NATs. */
export interface RateLimitConfig {
  /** All auth endpoints, per client IP. */
  authPerIp: RateRule;
  /** Failed sign-ins: progressive delays per account and source (see LoginThrottle). */
  loginFailures: LoginThrottleConfig;
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
  loginFailures: DEFAULT_LOGIN_THROTTLE,
  mailPerAccount: { points: 5, durationSeconds: 3600 },
  tokenAttemptsPerIp: { points: 60, durationSeconds: 600 },
  subdomainCheckPerUser: { points: 120, durationSeconds: 60 },
  tunnelPerInstance: { points: 120, durationSeconds: 60 },
};

/** The fixed-window budgets; failed sign-ins have their own throttle. */
export type Bucket = Exclude<keyof RateLimitConfig, 'loginFailures'>;

const limited = (res: RateLimiterRes) => rateLimited(res.msBeforeNext / 1000);

/**
 * In-memory fixed-window budgets (rate-limiter-flexible), one limiter per purpose, and the
 * failed sign-in throttle (`logins`), which runs on the app's clock (callers pass the time).
 */
export class RateLimits {
  private readonly limiters: Record<Bucket, RateLimiterMemory>;
  readonly logins: LoginThrottle;

  constructor(readonly config: RateLimitConfig = DEFAULT_RATE_LIMITS) {
    const { loginFailures, ...buckets } = config;
    this.logins = new LoginThrottle(loginFailures);
    this.limiters = Object.fromEntries(
      Object.entries(buckets).map(([bucket, rule]) => [
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
