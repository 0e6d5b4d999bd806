import { effectivePlan, subscriptionStatus } from '../../billing/plans.js';
import type { Services } from '../../services.js';
import type { UserRecord } from '../../store/types.js';

/**
 * The subscription as the webhooks left it. The card's brand and last 4 digits are fetched
 * once from Stripe when the subscription names a payment method, then kept.
 */
export async function getSubscription(deps: Services, user: UserRecord) {
  let sub = user.subscription;
  if (sub?.paymentMethodId && !sub.paymentMethod && deps.billing) {
    try {
      const paymentMethod = await deps.billing.paymentMethod(sub.paymentMethodId);
      if (paymentMethod) {
        sub = { ...sub, paymentMethod };
        await deps.store.users.update(user.id, { subscription: sub });
      }
    } catch (e) {
      deps.logger.warn(
        { code: (e as { code?: string }).code },
        'could not fetch the payment method from Stripe',
      );
    }
  }
  return {
    status: subscriptionStatus(user),
    plan: effectivePlan(user),
    current_period_start: sub?.currentPeriodStart ?? null,
    current_period_end: sub?.currentPeriodEnd ?? null,
    cancel_at_period_end: sub?.cancelAtPeriodEnd ?? false,
    payment_method: sub?.paymentMethod ?? null,
  };
}
