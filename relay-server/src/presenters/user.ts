import { effectivePlan, subscriptionStatus } from '../billing/plans.js';
import type { UserRecord } from '../store/types.js';

export const accountStatus = (u: UserRecord) =>
  u.emailVerifiedAt ? ('active' as const) : ('pending_email_verification' as const);

export function toRegisteredUser(u: UserRecord) {
  return {
    id: u.id,
    name: u.name,
    email: u.email,
    created_at: u.createdAt,
    account_status: accountStatus(u),
  };
}

export function toSessionUser(u: UserRecord) {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    subscription_status: subscriptionStatus(u),
    subscription_plan: effectivePlan(u),
    email_verified: u.emailVerifiedAt !== null,
  };
}

export function toProfile(u: UserRecord) {
  return { ...toSessionUser(u), created_at: u.createdAt, account_status: accountStatus(u) };
}
