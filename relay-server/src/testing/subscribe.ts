import type { PaidPlan } from '@cloud-connect/agent-core/api';
import type { TestAccount } from './accounts.js';
import type { CompletedCheckout, StripeStandIn } from './stripeStandIn.js';
import type { TestRelay } from './testRelay.js';

/**
 * Subscribe `account` to `plan` the way a user does: POST /billing/checkout on the relay, pay
 * at the Stripe stand-in, and deliver the signed webhooks Stripe sends for it. The relay must
 * run with `stripe.env`. Unlike `setPlan`, this goes through the real billing code.
 */
export async function subscribe(
  t: TestRelay,
  stripe: StripeStandIn,
  account: TestAccount,
  plan: PaidPlan = 'pro',
): Promise<CompletedCheckout> {
  const checkout = await t.api.post('/billing/checkout', { plan }, { token: account.accessToken });
  if (checkout.status !== 200) {
    throw new Error(`checkout failed: ${checkout.status} ${checkout.text}`);
  }
  const done = stripe.completeCheckout(checkout.body.session_id);
  for (const event of done.events) {
    const delivered = await stripe.deliver(t.url, event);
    if (delivered.status !== 200) {
      throw new Error(`webhook ${event.type} answered ${delivered.status}`);
    }
  }
  return done;
}
