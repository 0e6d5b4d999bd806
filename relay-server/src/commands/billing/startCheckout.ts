import type { PaidPlan } from '@cloud-connect/agent-core/api';
import { AppError } from '../../errors/appError.js';
import type { Services } from '../../services.js';
import type { UserRecord } from '../../store/types.js';
import { effectivePlan } from '../../billing/plans.js';
import { paymentProviderDown, requireBilling } from './requireBilling.js';

export const POLL_INTERVAL_MS = 3000;

/**
 * Open a Stripe Checkout session (subscription mode) for the plan's price, with the user id as
 * `client_reference_id` and the relay's own success and cancel pages as redirect targets.
 */
export async function startCheckout(deps: Services, user: UserRecord, plan: PaidPlan) {
  const billing = requireBilling(deps);
  if (effectivePlan(user) !== 'free') {
    throw AppError.validation(
      'plan',
      'cannot be bought again: you already have a subscription; change it in the billing portal',
    );
  }
  try {
    let customerId = user.stripeCustomerId;
    if (!customerId) {
      customerId = await billing.createCustomer({
        userId: user.id,
        email: user.email,
        name: user.name,
      });
      await deps.store.users.update(user.id, { stripeCustomerId: customerId });
    }
    const base = `${deps.config.publicUrl}/v1/billing`;
    const session = await billing.createCheckout({
      userId: user.id,
      customerId,
      plan,
      successUrl: `${base}/success?session_id={CHECKOUT_SESSION_ID}`,
      cancelUrl: `${base}/cancel`,
    });
    return {
      checkout_url: session.url,
      session_id: session.sessionId,
      poll_interval: POLL_INTERVAL_MS,
    };
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw paymentProviderDown(deps, 'checkout', e);
  }
}

/**
 * A Customer Portal session for managing the subscription. A Stripe customer alone (an abandoned
 * checkout) is not enough: there must be a subscription, current or ended, to manage.
 */
export async function openPortal(deps: Services, user: UserRecord, returnUrl: string) {
  const billing = requireBilling(deps);
  if (!user.stripeCustomerId || !user.subscription) {
    throw new AppError(
      'SUBSCRIPTION_REQUIRED',
      'There is no subscription to manage yet; subscribe first',
    );
  }
  try {
    return { portal_url: await billing.createPortal(user.stripeCustomerId, returnUrl) };
  } catch (e) {
    throw paymentProviderDown(deps, 'portal', e);
  }
}
