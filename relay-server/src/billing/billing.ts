import type { PaidPlan, Plan } from '@cloud-connect/agent-core/api';
import Stripe from 'stripe';
import type { StripeConfig } from '../config/config.js';

export interface CheckoutInput {
  userId: string;
  customerId: string;
  plan: PaidPlan;
  successUrl: string;
  cancelUrl: string;
}

/** Billing as the Cloud API needs it; `null` from `createBilling` means Stripe is not configured. */
export interface Billing {
  createCustomer(input: { userId: string; email: string; name: string }): Promise<string>;
  createCheckout(input: CheckoutInput): Promise<{ url: string; sessionId: string }>;
  createPortal(customerId: string, returnUrl: string): Promise<string>;
  /** Verifies the signature over the raw body (300 s tolerance); throws when it does not hold. */
  constructEvent(rawBody: Buffer, signature: string): Stripe.Event;
  paymentMethod(id: string): Promise<{ brand: string; last4: string } | null>;
  planForPrice(priceId: string | null | undefined): Plan | null;
}

export interface BillingOptions {
  /** How long one Stripe request may take before it counts as failed. */
  timeoutMs?: number;
}

/** Stripe's API as the relay calls it; `STRIPE_API_BASE` points the client elsewhere. */
export function createBilling(
  config: StripeConfig | null,
  now: () => Date,
  { timeoutMs = 15_000 }: BillingOptions = {},
): Billing | null {
  if (!config) return null;
  const base = config.apiBase;
  const stripe = new Stripe(config.secretKey, {
    // One retry: stripe-node sends an idempotency key with it, so a retried POST never doubles.
    maxNetworkRetries: 1,
    timeout: timeoutMs,
    ...(base
      ? {
          host: base.hostname,
          port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
          protocol: base.protocol === 'https:' ? 'https' : 'http',
        }
      : {}),
  });
  const priceOf: Record<PaidPlan, string> = {
    pro: config.pricePro,
    business: config.priceBusiness,
  };

  return {
    async createCustomer({ userId, email, name }) {
      const customer = await stripe.customers.create(
        { email, name, metadata: { user_id: userId } },
        { idempotencyKey: `customer-${userId}` },
      );
      return customer.id;
    },
    async createCheckout({ userId, customerId, plan, successUrl, cancelUrl }) {
      const session = await stripe.checkout.sessions.create({
        mode: 'subscription',
        customer: customerId,
        client_reference_id: userId,
        line_items: [{ price: priceOf[plan], quantity: 1 }],
        success_url: successUrl,
        cancel_url: cancelUrl,
        metadata: { user_id: userId, plan },
        subscription_data: { metadata: { user_id: userId, plan } },
      });
      if (!session.url) throw new Error('Stripe returned a checkout session without a URL');
      return { url: session.url, sessionId: session.id };
    },
    async createPortal(customerId, returnUrl) {
      const portal = await stripe.billingPortal.sessions.create({
        customer: customerId,
        return_url: returnUrl,
      });
      return portal.url;
    },
    constructEvent(rawBody, signature) {
      return stripe.webhooks.constructEvent(
        rawBody,
        signature,
        config.webhookSecret,
        300,
        undefined,
        // stripe-node reads receivedAt in milliseconds (it divides by 1000 itself).
        now().getTime(),
      );
    },
    async paymentMethod(id) {
      const pm = await stripe.paymentMethods.retrieve(id);
      return pm.card ? { brand: pm.card.brand, last4: pm.card.last4 } : null;
    },
    planForPrice(priceId) {
      if (priceId === config.pricePro) return 'pro';
      if (priceId === config.priceBusiness) return 'business';
      return null;
    },
  };
}
