import { z } from 'zod';
import { AccountStatus } from './auth.js';
import { Plan, SubscriptionStatus, Timestamp, UserId } from './common.js';

export const UserProfile = z.object({
  id: UserId,
  email: z.string(),
  name: z.string(),
  subscription_status: SubscriptionStatus,
  subscription_plan: Plan,
  created_at: Timestamp,
  email_verified: z.boolean(),
  account_status: AccountStatus,
});
export type UserProfile = z.infer<typeof UserProfile>;

export const UpdateUserRequest = z.strictObject({
  name: z.string().trim().min(1, 'is required').max(100, 'must be at most 100 characters'),
});
export const UpdateUserResponse = z.object({ id: UserId, email: z.string(), name: z.string() });
