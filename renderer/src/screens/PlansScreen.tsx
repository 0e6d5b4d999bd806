import type { PaidPlan, Plan } from '@cloud-connect/agent-core/api';
import { useEffect } from 'react';
import { Button } from '../components/Button.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { formatDateTime } from '../components/formatTime.js';
import { ScreenTitle } from '../components/ScreenTitle.js';
import { isPaidActive, planName } from '../store/billingSlice.js';
import { useAppStore, useRequest } from '../store/StoreProvider.js';

interface PlanCard {
  plan: Plan;
  price: string;
  features: string[];
}

// Seed 003 "Subscription Plans"; the relay enforces the limits, this only describes them.
const PLANS: PlanCard[] = [
  {
    plan: 'free',
    price: '$0',
    features: ['1 instance', 'Your subdomain with HTTPS', 'No custom domains', 'Community support'],
  },
  {
    plan: 'pro',
    price: '$5 / month',
    features: [
      '3 instances',
      'Your subdomain with HTTPS',
      '1 custom domain per instance',
      'Email support',
    ],
  },
  {
    plan: 'business',
    price: '$15 / month',
    features: [
      '10 instances',
      'Your subdomain with HTTPS',
      '5 custom domains per instance',
      'Priority support',
    ],
  },
];

/** The plans with their limits, Subscribe (Stripe Checkout in the browser) and its progress. */
export function PlansScreen() {
  const subscription = useAppStore((s) => s.subscription);
  const userPlan = useAppStore((s) => s.session?.user?.subscription_plan ?? 'free');
  const loadSubscription = useAppStore((s) => s.loadSubscription);
  const startCheckout = useAppStore((s) => s.startCheckout);
  const checkout = useAppStore((s) => s.checkout);
  const checkoutRequest = useRequest('checkout');
  const portalRequest = useRequest('billingPortal');
  const openBillingPortal = useAppStore((s) => s.openBillingPortal);

  useEffect(() => {
    void loadSubscription();
  }, [loadSubscription]);

  const paid = isPaidActive(subscription);
  const currentPlan: Plan = subscription ? (paid ? subscription.plan : 'free') : userPlan;
  const busy = checkout.phase === 'starting' || checkout.phase === 'waiting';

  return (
    <section className="screen">
      <ScreenTitle>Plans</ScreenTitle>
      <p className="lead">
        You are on the <strong>{planName(currentPlan)}</strong> plan
        {subscription && subscription.status !== 'none' && ` (${statusWords(subscription.status)})`}
        .
      </p>
      {paid && subscription && (
        <div className="panel">
          <p>
            {subscription.cancel_at_period_end ? 'Ends' : 'Renews'} on{' '}
            {formatDateTime(subscription.current_period_end)}
            {subscription.payment_method &&
              ` · ${subscription.payment_method.brand} ending ${subscription.payment_method.last4}`}
          </p>
          <Button onClick={() => void openBillingPortal()} busy={portalRequest.pending}>
            Manage billing
          </Button>
          <ErrorMessage error={portalRequest.error} />
        </div>
      )}

      <CheckoutProgress />
      <ErrorMessage error={checkoutRequest.error} />

      <div className="plan-grid">
        {PLANS.map((card) => {
          const current = card.plan === currentPlan;
          const titleId = `plan-${card.plan}`;
          const paidPlan: PaidPlan | null = card.plan === 'free' ? null : card.plan;
          return (
            <article
              key={card.plan}
              className={`plan-card${current ? ' plan-card-current' : ''}`}
              aria-labelledby={titleId}
            >
              <h2 id={titleId}>{planName(card.plan)}</h2>
              <p className="plan-price">{card.price}</p>
              <ul className="plan-features">
                {card.features.map((feature) => (
                  <li key={feature}>{feature}</li>
                ))}
              </ul>
              {current ? (
                <p className="plan-current">Your current plan</p>
              ) : paidPlan ? (
                <Button
                  variant="primary"
                  busy={checkout.phase === 'starting' && checkout.plan === card.plan}
                  disabled={busy}
                  onClick={() => void startCheckout(paidPlan)}
                >
                  Subscribe to {planName(card.plan)}
                </Button>
              ) : null}
            </article>
          );
        })}
      </div>
    </section>
  );
}

function statusWords(status: string): string {
  return status.replace(/_/g, ' ');
}

/** The waiting state while Checkout is open in the browser, and its outcome. */
function CheckoutProgress() {
  const checkout = useAppStore((s) => s.checkout);
  const cancelCheckout = useAppStore((s) => s.cancelCheckout);
  const dismissCheckout = useAppStore((s) => s.dismissCheckout);
  const openExternal = useAppStore((s) => s.openExternal);

  // One live region that stays mounted, so each change of phase is announced.
  return (
    <div className="checkout-status" role="status" aria-live="polite">
      {checkout.phase === 'starting' && (
        <p className="panel">
          <span className="spinner" aria-hidden="true" /> Preparing checkout for{' '}
          {planName(checkout.plan)}…
        </p>
      )}
      {checkout.phase === 'waiting' && (
        <div className="panel panel-progress">
          <p>
            <span className="spinner" aria-hidden="true" /> Waiting for your payment… Complete the
            checkout for {planName(checkout.plan)} in your browser. This screen updates by itself
            (checked every {Math.round(checkout.pollInterval / 1000)} s).
          </p>
          <div className="actions">
            <Button onClick={() => void openExternal(checkout.url)}>
              Open checkout page again
            </Button>
            <Button onClick={cancelCheckout}>Cancel checkout</Button>
          </div>
        </div>
      )}
      {checkout.phase === 'succeeded' && (
        <div className="panel panel-success">
          <p>Payment received. You are on the {planName(checkout.plan)} plan now.</p>
          <Button onClick={dismissCheckout}>Done</Button>
        </div>
      )}
      {checkout.phase === 'timedOut' && (
        <div className="panel panel-warning">
          <p>
            We stopped waiting for the payment. If you completed it, your plan changes within a few
            minutes; otherwise start again.
          </p>
          <Button onClick={dismissCheckout}>Dismiss</Button>
        </div>
      )}
    </div>
  );
}
