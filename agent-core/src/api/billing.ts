import { z } from 'zod';
import { PaidPlan, Plan, SubscriptionStatus, Timestamp } from './common.js';

export const CheckoutRequest = z.strictObject({ plan: PaidPlan });
export const CheckoutResponse = z.object({
  checkout_url: z.url(),
  session_id: z.string(),
  poll_interval: z.number().int(),
});
export type CheckoutResponse = z.infer<typeof CheckoutResponse>;

export const Subscription = z.object({
  status: SubscriptionStatus,
  plan: Plan,
  current_period_start: Timestamp.nullable(),
  current_period_end: Timestamp.nullable(),
  cancel_at_period_end: z.boolean(),
  payment_method: z.object({ brand: z.string(), last4: z.string() }).nullable(),
});
export type Subscription = z.infer<typeof Subscription>;

export const PortalRequest = z.strictObject({
  return_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048),
});
export const PortalResponse = z.object({ portal_url: z.url() });
export const WebhookResponse = z.object({ received: z.literal(true) });
