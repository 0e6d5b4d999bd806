/*
 * Every Stripe object the stand-in answers with, as a type and a factory side by side (price,
 * customer, checkout session, payment method, subscription, invoice, portal session, event).
 * It is long because each type lists, field by field, what a real answer of the pinned API
 * version carries, and each factory fills in all of those fields; keeping the pairs together
 * lets the compiler check one against the other.
 */
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';

/*
 * Stripe's objects as the stand-in answers them. Each type picks, from stripe-node 23's own
 * type (API version Stripe.API_VERSION), the fields a real answer carries that matter to a
 * client, so the compiler rejects a field the pinned API version no longer has: a
 * subscription's period lives on its items, an invoice's subscription under `parent`.
 */
export type StandInPrice = Pick<
  Stripe.Price,
  | 'id'
  | 'object'
  | 'active'
  | 'billing_scheme'
  | 'created'
  | 'currency'
  | 'livemode'
  | 'lookup_key'
  | 'metadata'
  | 'nickname'
  | 'product'
  | 'recurring'
  | 'type'
  | 'unit_amount'
>;
export type StandInCustomer = Pick<
  Stripe.Customer,
  | 'id'
  | 'object'
  | 'balance'
  | 'created'
  | 'default_source'
  | 'delinquent'
  | 'description'
  | 'email'
  | 'invoice_settings'
  | 'livemode'
  | 'metadata'
  | 'name'
  | 'shipping'
>;
export type StandInCheckoutSession = Pick<
  Stripe.Checkout.Session,
  | 'id'
  | 'object'
  | 'amount_subtotal'
  | 'amount_total'
  | 'cancel_url'
  | 'client_reference_id'
  | 'created'
  | 'currency'
  | 'customer'
  | 'customer_email'
  | 'expires_at'
  | 'invoice'
  | 'livemode'
  | 'metadata'
  | 'mode'
  | 'payment_method_types'
  | 'payment_status'
  | 'status'
  | 'subscription'
  | 'success_url'
  | 'ui_mode'
  | 'url'
>;
export type StandInSubscriptionItem = Pick<
  Stripe.SubscriptionItem,
  | 'id'
  | 'object'
  | 'created'
  | 'current_period_end'
  | 'current_period_start'
  | 'metadata'
  | 'quantity'
  | 'subscription'
> & { price: StandInPrice };
export type StandInSubscription = Pick<
  Stripe.Subscription,
  | 'id'
  | 'object'
  | 'billing_cycle_anchor'
  | 'cancel_at'
  | 'cancel_at_period_end'
  | 'canceled_at'
  | 'collection_method'
  | 'created'
  | 'currency'
  | 'customer'
  | 'default_payment_method'
  | 'ended_at'
  | 'latest_invoice'
  | 'livemode'
  | 'metadata'
  | 'start_date'
  | 'status'
  | 'trial_end'
  | 'trial_start'
> & {
  items: { object: 'list'; data: StandInSubscriptionItem[]; has_more: boolean; url: string };
};
export type StandInInvoice = Pick<
  Stripe.Invoice,
  | 'id'
  | 'object'
  | 'amount_due'
  | 'amount_paid'
  | 'amount_remaining'
  | 'attempt_count'
  | 'attempted'
  | 'billing_reason'
  | 'collection_method'
  | 'created'
  | 'currency'
  | 'customer'
  | 'livemode'
  | 'next_payment_attempt'
  | 'parent'
  | 'period_end'
  | 'period_start'
  | 'status'
  | 'total'
>;
export type StandInPaymentMethod = Pick<
  Stripe.PaymentMethod,
  | 'id'
  | 'object'
  | 'allow_redisplay'
  | 'billing_details'
  | 'created'
  | 'customer'
  | 'livemode'
  | 'metadata'
  | 'type'
> & {
  card: Pick<
    Stripe.PaymentMethod.Card,
    | 'brand'
    | 'country'
    | 'display_brand'
    | 'exp_month'
    | 'exp_year'
    | 'fingerprint'
    | 'funding'
    | 'last4'
  >;
};
export type StandInPortalSession = Pick<
  Stripe.BillingPortal.Session,
  | 'id'
  | 'object'
  | 'configuration'
  | 'created'
  | 'customer'
  | 'flow'
  | 'livemode'
  | 'locale'
  | 'on_behalf_of'
  | 'return_url'
  | 'url'
>;

/** The event types the stand-in builds, and the object each carries in `data.object`. */
export interface StandInEventObjects {
  'checkout.session.completed': StandInCheckoutSession;
  'customer.subscription.created': StandInSubscription;
  'customer.subscription.updated': StandInSubscription;
  'customer.subscription.deleted': StandInSubscription;
  'invoice.paid': StandInInvoice;
  'invoice.payment_failed': StandInInvoice;
}
export type StandInEventType = keyof StandInEventObjects;

/** A webhook event as Stripe sends it: a snapshot of the object, in the pinned API version. */
export interface StandInEvent<T extends StandInEventType = StandInEventType> {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: StandInEventObjects[T]; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: T;
}

export interface CardDetails {
  brand: string;
  last4: string;
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A Stripe-looking id: the prefix, `_`, and random base62 (`cus_…`, `cs_test_…`). */
export function stripeId(prefix: string, length = 24): string {
  let out = '';
  for (const b of randomBytes(length)) out += BASE62[b % BASE62.length];
  return `${prefix}_${out}`;
}

/** The same day next month (or that month's last day), as a monthly price renews. */
export function addMonth(unix: number): number {
  const d = new Date(unix * 1000);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + 1);
  const lastDay = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, lastDay));
  return Math.floor(d.getTime() / 1000);
}

/** A licensed monthly USD price. */
export function newPrice(
  id: string,
  nickname: string,
  unitAmount: number,
  product: string,
  now: number,
): StandInPrice {
  return {
    id,
    object: 'price',
    active: true,
    billing_scheme: 'per_unit',
    created: now,
    currency: 'usd',
    livemode: false,
    lookup_key: null,
    metadata: {},
    nickname,
    product,
    recurring: {
      interval: 'month',
      interval_count: 1,
      meter: null,
      trial_period_days: null,
      usage_type: 'licensed',
    },
    type: 'recurring',
    unit_amount: unitAmount,
  };
}

export function newCustomer(
  fields: { email?: string; name?: string; description?: string; metadata?: Stripe.Metadata },
  now: number,
): StandInCustomer {
  return {
    id: stripeId('cus', 14),
    object: 'customer',
    balance: 0,
    created: now,
    default_source: null,
    delinquent: false,
    description: fields.description ?? null,
    email: fields.email ?? null,
    invoice_settings: {
      custom_fields: null,
      default_payment_method: null,
      footer: null,
      rendering_options: null,
    },
    livemode: false,
    metadata: fields.metadata ?? {},
    name: fields.name ?? null,
    shipping: null,
  };
}

/** An open hosted Checkout Session in subscription mode; `url` is the stand-in's payment page. */
export function newCheckoutSession(
  fields: Pick<
    StandInCheckoutSession,
    | 'amount_total'
    | 'cancel_url'
    | 'client_reference_id'
    | 'customer'
    | 'customer_email'
    | 'metadata'
    | 'success_url'
  >,
  baseUrl: string,
  now: number,
): StandInCheckoutSession {
  const id = stripeId('cs_test', 58);
  return {
    id,
    object: 'checkout.session',
    amount_subtotal: fields.amount_total,
    created: now,
    currency: 'usd',
    expires_at: now + 24 * 3600,
    invoice: null,
    livemode: false,
    mode: 'subscription',
    payment_method_types: ['card'],
    payment_status: 'unpaid',
    status: 'open',
    subscription: null,
    ui_mode: 'hosted',
    url: `${baseUrl}/c/pay/${id}`,
    ...fields,
  };
}

export function newCardPaymentMethod(
  customer: StandInCustomer,
  card: CardDetails,
  now: number,
): StandInPaymentMethod {
  return {
    id: stripeId('pm'),
    object: 'payment_method',
    allow_redisplay: 'always',
    billing_details: {
      address: null,
      email: customer.email,
      name: customer.name ?? null,
      phone: null,
      tax_id: null,
    },
    card: {
      brand: card.brand,
      country: 'US',
      display_brand: card.brand,
      exp_month: 12,
      exp_year: new Date(now * 1000).getUTCFullYear() + 3,
      fingerprint: stripeId('fp', 16).slice(3),
      funding: 'credit',
      last4: card.last4,
    },
    created: now,
    customer: customer.id,
    livemode: false,
    metadata: {},
    type: 'card',
  };
}

/** An active subscription whose first period starts now and ends a month later. */
export function newSubscription(
  fields: {
    customer: string;
    paymentMethod: string;
    lineItems: Array<{ price: StandInPrice; quantity: number }>;
    metadata: Stripe.Metadata;
  },
  now: number,
): StandInSubscription {
  const id = stripeId('sub');
  const periodEnd = addMonth(now);
  return {
    id,
    object: 'subscription',
    billing_cycle_anchor: now,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    collection_method: 'charge_automatically',
    created: now,
    currency: 'usd',
    customer: fields.customer,
    default_payment_method: fields.paymentMethod,
    ended_at: null,
    latest_invoice: null,
    livemode: false,
    metadata: fields.metadata,
    start_date: now,
    status: 'active',
    trial_end: null,
    trial_start: null,
    items: {
      object: 'list',
      data: fields.lineItems.map(({ price, quantity }) => ({
        id: stripeId('si', 14),
        object: 'subscription_item',
        created: now,
        current_period_end: periodEnd,
        current_period_start: now,
        metadata: {},
        quantity,
        subscription: id,
        price,
      })),
      has_more: false,
      url: `/v1/subscription_items?subscription=${id}`,
    },
  };
}

/** The invoice for the subscription's current period; an unpaid one is retried in 3 days. */
export function newInvoice(
  sub: StandInSubscription,
  { paid, reason }: { paid: boolean; reason: 'subscription_create' | 'subscription_cycle' },
  now: number,
): StandInInvoice {
  const item = sub.items.data[0];
  const amount = (item?.price.unit_amount ?? 0) * (item?.quantity ?? 1);
  return {
    id: stripeId('in'),
    object: 'invoice',
    amount_due: amount,
    amount_paid: paid ? amount : 0,
    amount_remaining: paid ? 0 : amount,
    attempt_count: 1,
    attempted: true,
    billing_reason: reason,
    collection_method: 'charge_automatically',
    created: now,
    currency: 'usd',
    customer: typeof sub.customer === 'string' ? sub.customer : sub.customer.id,
    livemode: false,
    next_payment_attempt: paid ? null : now + 3 * 24 * 3600,
    parent: {
      quote_details: null,
      subscription_details: { metadata: sub.metadata, subscription: sub.id },
      type: 'subscription_details',
    },
    period_end: item?.current_period_end ?? now,
    period_start: item?.current_period_start ?? now,
    status: paid ? 'paid' : 'open',
    total: amount,
  };
}

export function newPortalSession(
  customer: string,
  returnUrl: string | null,
  baseUrl: string,
  now: number,
): StandInPortalSession {
  return {
    id: stripeId('bps'),
    object: 'billing_portal.session',
    configuration: stripeId('bpc'),
    created: now,
    customer,
    flow: null,
    livemode: false,
    locale: null,
    on_behalf_of: null,
    return_url: returnUrl,
    url: `${baseUrl}/p/session/${stripeId('test', 40)}`,
  };
}

/** An event about `object` as it is now: later changes to the object do not show in it. */
export function newEvent<T extends StandInEventType>(
  type: T,
  object: StandInEventObjects[T],
  {
    created,
    previousAttributes,
  }: { created: number; previousAttributes?: Record<string, unknown> },
): StandInEvent<T> {
  return {
    id: stripeId('evt'),
    object: 'event',
    api_version: Stripe.API_VERSION,
    created,
    data: {
      object: structuredClone(object),
      ...(previousAttributes ? { previous_attributes: previousAttributes } : {}),
    },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}
