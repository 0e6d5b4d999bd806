import type Stripe from 'stripe';
import type { Clock } from '../clock.js';
import { formString, formStrings, formValue, type FormHash } from './stripeForm.js';
import {
  newCardPaymentMethod,
  newCheckoutSession,
  newCustomer,
  newEvent,
  newInvoice,
  newPortalSession,
  newPrice,
  newSubscription,
  stripeId,
  type CardDetails,
  type StandInCheckoutSession,
  type StandInCustomer,
  type StandInEvent,
  type StandInEventObjects,
  type StandInEventType,
  type StandInInvoice,
  type StandInPaymentMethod,
  type StandInPortalSession,
  type StandInPrice,
  type StandInSubscription,
} from './stripeObjects.js';

/** An error answer in Stripe's shape: `{ error: { type, message, code, param } }`. */
export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: 'invalid_request_error' | 'api_error' | 'idempotency_error',
    message: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
  ) {
    super(message);
  }

  body() {
    return {
      error: { type: this.type, message: this.message, code: this.code, param: this.param },
    };
  }
}

const invalid = (message: string, param: string, code: string | null = null) =>
  new StripeApiError(400, 'invalid_request_error', message, code, param);
const missing = (param: string) =>
  invalid(`Missing required param: ${param}.`, param, 'parameter_missing');
const noSuch = (what: string, id: string, param: string) =>
  new StripeApiError(
    404,
    'invalid_request_error',
    `No such ${what}: '${id}'`,
    'resource_missing',
    param,
  );

function checkUrl(form: FormHash, param: string): string | null {
  const value = formString(form, param);
  if (value === undefined) return null;
  try {
    if (['http:', 'https:'].includes(new URL(value).protocol)) return value;
  } catch {
    /* reported below */
  }
  throw invalid('Not a valid URL', param, 'url_invalid');
}

/** What a completed checkout created, and the events Stripe sends for it (in a typical order). */
export interface CompletedCheckout {
  session: StandInCheckoutSession;
  customer: StandInCustomer;
  subscription: StandInSubscription;
  paymentMethod: StandInPaymentMethod;
  invoice: StandInInvoice;
  events: [
    StandInEvent<'customer.subscription.created'>,
    StandInEvent<'invoice.paid'>,
    StandInEvent<'checkout.session.completed'>,
  ];
}

export interface SubscriptionChange {
  status?: Stripe.Subscription.Status;
  /** Switch the first item to this price (as a plan change in the portal does). */
  price?: string;
  cancelAtPeriodEnd?: boolean;
}

interface StoredSession {
  session: StandInCheckoutSession;
  lineItems: Array<{ price: StandInPrice; quantity: number }>;
  subscriptionMetadata: Stripe.Metadata;
}

/**
 * The stand-in's Stripe account: its prices, customers, sessions and subscriptions. API calls
 * (`create…`, `get…`) validate their form like Stripe and throw StripeApiError; the state
 * changes that happen outside the API (a customer pays, a renewal fails) return the events
 * Stripe would send.
 */
export class StripeAccount {
  readonly prices = new Map<string, StandInPrice>();
  private readonly customers = new Map<string, StandInCustomer>();
  private readonly sessions = new Map<string, StoredSession>();
  private readonly subscriptions = new Map<string, StandInSubscription>();
  private readonly paymentMethods = new Map<string, StandInPaymentMethod>();
  private readonly portalSessions = new Map<string, StandInPortalSession>();

  constructor(
    private readonly clock: Clock,
    /** The stand-in's base URL, for the hosted pages' links; known once it listens. */
    private readonly baseUrl: () => string,
    planPrices: { pro: string; business: string },
  ) {
    const product = stripeId('prod', 14);
    this.prices.set(planPrices.pro, newPrice(planPrices.pro, 'Pro', 500, product, this.now()));
    this.prices.set(
      planPrices.business,
      newPrice(planPrices.business, 'Business', 1500, product, this.now()),
    );
  }

  now(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }

  /** Build an event about `object`, created now (or at `created`, unix seconds). */
  event<T extends StandInEventType>(
    type: T,
    object: StandInEventObjects[T],
    options: { created?: number; previousAttributes?: Record<string, unknown> } = {},
  ): StandInEvent<T> {
    return newEvent(type, object, { ...options, created: options.created ?? this.now() });
  }

  // --- The API -------------------------------------------------------------------------------

  createCustomer(form: FormHash): StandInCustomer {
    const customer = newCustomer(
      {
        email: formString(form, 'email'),
        name: formString(form, 'name'),
        description: formString(form, 'description'),
        metadata: formStrings(form, 'metadata'),
      },
      this.now(),
    );
    this.customers.set(customer.id, customer);
    return customer;
  }

  createCheckoutSession(form: FormHash): StandInCheckoutSession {
    const mode = formString(form, 'mode');
    if (!mode) throw missing('mode');
    if (mode !== 'subscription') {
      throw invalid(
        ['payment', 'setup'].includes(mode)
          ? `The stand-in only implements mode=subscription, not ${mode}`
          : 'Invalid mode: must be one of payment, setup, or subscription',
        'mode',
      );
    }
    const customer = formString(form, 'customer') ?? null;
    if (customer !== null && !this.customers.has(customer)) {
      throw noSuch('customer', customer, 'customer');
    }
    const successUrl = checkUrl(form, 'success_url');
    const cancelUrl = checkUrl(form, 'cancel_url');
    const items = formValue(form, 'line_items');
    if (!Array.isArray(items) || items.length === 0) {
      throw invalid(
        'You must provide at least one recurring price in `subscription` mode when using prices.',
        'line_items',
      );
    }
    const lineItems = items.map((_item, i) => {
      const param = `line_items[${i}]`;
      const priceId = formString(form, `line_items.${i}.price`);
      if (!priceId) throw missing(`${param}[price]`);
      const price = this.prices.get(priceId);
      if (!price) throw noSuch('price', priceId, `${param}[price]`);
      const quantity = Number(formString(form, `line_items.${i}.quantity`) ?? '1');
      if (!Number.isInteger(quantity) || quantity < 1) {
        throw invalid('Invalid integer', `${param}[quantity]`, 'parameter_invalid_integer');
      }
      return { price, quantity };
    });
    const session = newCheckoutSession(
      {
        amount_total: lineItems.reduce(
          (sum, l) => sum + (l.price.unit_amount ?? 0) * l.quantity,
          0,
        ),
        cancel_url: cancelUrl,
        client_reference_id: formString(form, 'client_reference_id') ?? null,
        customer,
        customer_email: formString(form, 'customer_email') ?? null,
        metadata: formStrings(form, 'metadata'),
        success_url: successUrl,
      },
      this.baseUrl(),
      this.now(),
    );
    this.sessions.set(session.id, {
      session,
      lineItems,
      subscriptionMetadata: formStrings(form, 'subscription_data.metadata'),
    });
    return session;
  }

  createPortalSession(form: FormHash): StandInPortalSession {
    const customer = formString(form, 'customer');
    if (!customer) throw missing('customer');
    if (!this.customers.has(customer)) throw noSuch('customer', customer, 'customer');
    const portal = newPortalSession(
      customer,
      checkUrl(form, 'return_url'),
      this.baseUrl(),
      this.now(),
    );
    this.portalSessions.set(portal.url.slice(portal.url.lastIndexOf('/') + 1), portal);
    return portal;
  }

  getCheckoutSession(id: string): StandInCheckoutSession {
    const stored = this.sessions.get(id);
    if (!stored) throw noSuch('checkout.session', id, 'session');
    return stored.session;
  }

  getPaymentMethod(id: string): StandInPaymentMethod {
    const pm = this.paymentMethods.get(id);
    if (!pm) throw noSuch('payment_method', id, 'payment_method');
    return pm;
  }

  getSubscription(id: string): StandInSubscription {
    const sub = this.subscriptions.get(id);
    if (!sub) throw noSuch('subscription', id, 'id');
    return sub;
  }

  // --- Lookups for tests and the hosted pages --------------------------------------------------

  checkoutSession(id: string): StandInCheckoutSession | undefined {
    return this.sessions.get(id)?.session;
  }
  planName(sessionId: string): string | null {
    return this.sessions.get(sessionId)?.lineItems[0]?.price.nickname ?? null;
  }
  subscription(id: string): StandInSubscription | undefined {
    return this.subscriptions.get(id);
  }
  customer(id: string): StandInCustomer | undefined {
    return this.customers.get(id);
  }
  portalSession(urlId: string): StandInPortalSession | undefined {
    return this.portalSessions.get(urlId);
  }

  // --- What happens outside the API ------------------------------------------------------------

  /** The customer pays: the session completes and an active subscription with a card exists. */
  completeCheckout(sessionId: string, card: CardDetails): CompletedCheckout {
    const stored = this.sessions.get(sessionId);
    if (!stored) throw new Error(`stripe stand-in: no checkout session ${sessionId}`);
    const { session } = stored;
    if (session.status !== 'open') {
      throw new Error(`stripe stand-in: checkout session ${sessionId} is ${session.status}`);
    }
    const now = this.now();
    const existing = typeof session.customer === 'string' ? session.customer : null;
    const customer =
      (existing ? this.customers.get(existing) : undefined) ??
      this.createCustomer(session.customer_email ? { email: session.customer_email } : {});
    const paymentMethod = newCardPaymentMethod(customer, card, now);
    this.paymentMethods.set(paymentMethod.id, paymentMethod);
    const subscription = newSubscription(
      {
        customer: customer.id,
        paymentMethod: paymentMethod.id,
        lineItems: stored.lineItems,
        metadata: stored.subscriptionMetadata,
      },
      now,
    );
    const invoice = newInvoice(subscription, { paid: true, reason: 'subscription_create' }, now);
    subscription.latest_invoice = invoice.id;
    this.subscriptions.set(subscription.id, subscription);
    Object.assign(session, {
      status: 'complete',
      payment_status: 'paid',
      customer: customer.id,
      subscription: subscription.id,
      invoice: invoice.id,
      url: null,
    } satisfies Partial<StandInCheckoutSession>);
    return {
      session,
      customer,
      subscription,
      paymentMethod,
      invoice,
      events: [
        this.event('customer.subscription.created', subscription),
        this.event('invoice.paid', invoice),
        this.event('checkout.session.completed', session),
      ],
    };
  }

  /** Change a subscription as the Dashboard or the portal would. */
  updateSubscription(id: string, change: SubscriptionChange) {
    const sub = this.known(id);
    const previous: Record<string, unknown> = {};
    if (change.status !== undefined && change.status !== sub.status) {
      previous.status = sub.status;
      sub.status = change.status;
    }
    const cancel = change.cancelAtPeriodEnd;
    if (cancel !== undefined && cancel !== sub.cancel_at_period_end) {
      previous.cancel_at_period_end = sub.cancel_at_period_end;
      previous.cancel_at = sub.cancel_at;
      sub.cancel_at_period_end = cancel;
      sub.cancel_at = cancel ? (sub.items.data[0]?.current_period_end ?? null) : null;
    }
    if (change.price !== undefined) {
      const price = this.prices.get(change.price);
      const item = sub.items.data[0];
      if (!price || !item) throw new Error(`stripe stand-in: no price ${change.price}`);
      previous.items = structuredClone(sub.items);
      item.price = price;
    }
    return {
      subscription: sub,
      event: this.event('customer.subscription.updated', sub, { previousAttributes: previous }),
    };
  }

  /** Cancel at once: the subscription ends now. */
  cancelSubscription(id: string) {
    const sub = this.known(id);
    const now = this.now();
    Object.assign(sub, {
      status: 'canceled',
      canceled_at: now,
      ended_at: now,
    } satisfies Partial<StandInSubscription>);
    return { subscription: sub, event: this.event('customer.subscription.deleted', sub) };
  }

  /** A renewal payment fails: an open invoice, and the subscription becomes `past_due`. */
  failRenewal(id: string) {
    const sub = this.known(id);
    const invoice = newInvoice(sub, { paid: false, reason: 'subscription_cycle' }, this.now());
    sub.latest_invoice = invoice.id;
    const { event: updated } = this.updateSubscription(id, { status: 'past_due' });
    const failed = this.event('invoice.payment_failed', invoice);
    return {
      invoice,
      subscription: sub,
      events: [failed, updated] as [typeof failed, typeof updated],
    };
  }

  private known(id: string): StandInSubscription {
    const sub = this.subscriptions.get(id);
    if (!sub) throw new Error(`stripe stand-in: no subscription ${id}`);
    return sub;
  }
}
