import type { Plan, SubscriptionStatus } from '@cloud-connect/agent-core/api';
import type { UserRecord } from '../store/types.js';

export interface PlanLimits {
  instances: number;
  /** Custom domains per instance; 0 means the plan has none (402 SUBSCRIPTION_REQUIRED). */
  domainsPerInstance: number;
}

/** Seed 003's plan table. */
export const PLAN_LIMITS: Record<Plan, PlanLimits> = {
  free: { instances: 1, domainsPerInstance: 0 },
  pro: { instances: 3, domainsPerInstance: 1 },
  business: { instances: 10, domainsPerInstance: 5 },
};

/** Statuses in which the paid plan applies; past_due keeps it while Stripe retries payment. */
const PAID_STATUSES: ReadonlySet<SubscriptionStatus> = new Set(['active', 'trialing', 'past_due']);

/** The plan whose limits apply to the user right now. */
export function effectivePlan(user: UserRecord): Plan {
  const sub = user.subscription;
  return sub && PAID_STATUSES.has(sub.status) ? sub.plan : 'free';
}

export function subscriptionStatus(user: UserRecord): SubscriptionStatus {
  return user.subscription?.status ?? 'none';
}
