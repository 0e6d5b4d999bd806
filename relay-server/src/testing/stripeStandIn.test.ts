import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseStripeForm } from './stripeForm.js';
import { startStripeStandIn, type StripeStandIn } from './stripeStandIn.js';

let standIn: StripeStandIn;
let stripe: Stripe;

/** stripe-node pointed at the stand-in, as relay-server's billing does with STRIPE_API_BASE. */
function client(key: string, extra: Stripe.StripeConfig = {}) {
  const base = new URL(standIn.url);
  return new Stripe(key, {
    host: base.hostname,
    port: Number(base.port),
    protocol: 'http',
    maxNetworkRetries: 0,
    ...extra,
  });
}

beforeEach(async () => {
  standIn = await startStripeStandIn();
  stripe = client(standIn.secretKey);
});
afterEach(async () => {
  await standIn.close();
});

async function openCheckout() {
  const customer = await stripe.customers.create({ email: 'a@example.test', name: 'Ann' });
  return stripe.checkout.sessions.create({
    mode: 'subscription',
    customer: customer.id,
    client_reference_id: 'usr_1',
    line_items: [{ price: standIn.prices.pro, quantity: 1 }],
    success_url: 'http://relay.test/v1/billing/success?session_id={CHECKOUT_SESSION_ID}',
    cancel_url: 'http://relay.test/v1/billing/cancel',
    metadata: { user_id: 'usr_1', plan: 'pro' },
    subscription_data: { metadata: { user_id: 'usr_1', plan: 'pro' } },
  });
}

describe('parseStripeForm', () => {
  it('nests bracket notation into hashes and lists', () => {
    expect(
      parseStripeForm(
        'mode=subscription&line_items[0][price]=price_1&line_items[0][quantity]=1' +
          '&line_items[1][price]=price_2&metadata[plan]=pro&expand[]=a&expand[]=b' +
          '&subscription_data%5Bmetadata%5D%5Buser_id%5D=usr_1',
      ),
    ).toEqual({
      mode: 'subscription',
      line_items: [{ price: 'price_1', quantity: '1' }, { price: 'price_2' }],
      metadata: { plan: 'pro' },
      expand: ['a', 'b'],
      subscription_data: { metadata: { user_id: 'usr_1' } },
    });
  });
});

describe('the Stripe stand-in, called by stripe-node', () => {
  it('creates customers and subscription checkout sessions from form-encoded bodies', async () => {
    const session = await openCheckout();
    expect(session.id).toMatch(/^cs_test_[A-Za-z0-9]{58}$/);
    expect(session.url).toBe(`${standIn.url}/c/pay/${session.id}`);
    expect(session).toMatchObject({
      object: 'checkout.session',
      mode: 'subscription',
      status: 'open',
      payment_status: 'unpaid',
      client_reference_id: 'usr_1',
      customer: expect.stringMatching(/^cus_/),
      amount_total: 500,
      metadata: { user_id: 'usr_1', plan: 'pro' },
    });
    const [created] = standIn.requestsTo('POST', '/v1/checkout/sessions');
    expect(created?.form).toMatchObject({
      line_items: [{ price: standIn.prices.pro, quantity: '1' }],
      subscription_data: { metadata: { user_id: 'usr_1', plan: 'pro' } },
    });
    expect(created?.stripeVersion).toBe(Stripe.API_VERSION);
    expect(await stripe.checkout.sessions.retrieve(session.id)).toMatchObject({ id: session.id });
  });

  it('answers 401 in Stripe error shape without the right Bearer key', async () => {
    const wrong = client('sk_test_not_the_right_key_1234');
    const err = await wrong.customers.create({ email: 'x@example.test' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect((err as Stripe.errors.StripeError).message).toMatch(
      /^Invalid API Key provided: sk_test_\*+1234$/,
    );

    const res = await fetch(`${standIn.url}/v1/customers`, { method: 'POST' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: {
        type: 'invalid_request_error',
        message: expect.stringContaining('You did not provide an API key'),
        code: null,
        param: null,
      },
    });
  });

  it('rejects unknown prices and missing params the way Stripe does', async () => {
    const err = (await stripe.checkout.sessions
      .create({ mode: 'subscription', line_items: [{ price: 'price_nope', quantity: 1 }] })
      .catch((e: unknown) => e)) as Stripe.errors.StripeError;
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({
      statusCode: 404,
      code: 'resource_missing',
      param: 'line_items[0][price]',
    });

    const noCustomer = (await stripe.billingPortal.sessions
      .create({} as Stripe.BillingPortal.SessionCreateParams)
      .catch((e: unknown) => e)) as Stripe.errors.StripeError;
    expect(noCustomer).toMatchObject({
      statusCode: 400,
      code: 'parameter_missing',
      param: 'customer',
    });
  });

  it('completes a checkout into an active subscription with items, periods and a card', async () => {
    const session = await openCheckout();
    const done = standIn.completeCheckout(session.id, {
      card: { brand: 'mastercard', last4: '4444' },
    });

    const sub = await stripe.subscriptions.retrieve(done.subscription.id);
    expect(sub).toMatchObject({
      object: 'subscription',
      status: 'active',
      customer: session.customer,
      metadata: { user_id: 'usr_1', plan: 'pro' },
      default_payment_method: done.paymentMethod.id,
    });
    const item = sub.items.data[0];
    expect(item?.price.id).toBe(standIn.prices.pro);
    expect(item?.current_period_end).toBeGreaterThan(item?.current_period_start ?? Infinity);
    expect(sub).not.toHaveProperty('current_period_end');

    const pm = await stripe.paymentMethods.retrieve(done.paymentMethod.id);
    expect(pm.card).toMatchObject({ brand: 'mastercard', last4: '4444' });
    expect(await stripe.checkout.sessions.retrieve(session.id)).toMatchObject({
      status: 'complete',
      payment_status: 'paid',
      subscription: done.subscription.id,
    });
    expect(done.events.map((e) => e.type)).toEqual([
      'customer.subscription.created',
      'invoice.paid',
      'checkout.session.completed',
    ]);
  });

  it('signs events so stripe-node verifies them, and only with the right secret', async () => {
    const done = standIn.completeCheckout((await openCheckout()).id);
    const { payload, header } = standIn.sign(done.events[2]);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const event = stripe.webhooks.constructEvent(payload, header, standIn.webhookSecret);
    expect(event).toMatchObject({
      type: 'checkout.session.completed',
      api_version: Stripe.API_VERSION,
    });
    expect(() => stripe.webhooks.constructEvent(payload, header, 'whsec_other')).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
  });

  it('builds invoice events whose subscription sits under parent.subscription_details', async () => {
    const done = standIn.completeCheckout((await openCheckout()).id);
    const failed = standIn.failRenewal(done.subscription.id);
    const [invoiceEvent, updated] = failed.events;
    expect(invoiceEvent.data.object).toMatchObject({
      status: 'open',
      customer: done.customer.id,
      parent: {
        type: 'subscription_details',
        subscription_details: { subscription: done.subscription.id },
      },
    });
    expect(updated.data).toMatchObject({
      object: { status: 'past_due' },
      previous_attributes: { status: 'active' },
    });
    // Events are snapshots: the first event still shows the subscription as it was.
    expect(done.events[0].data.object.status).toBe('active');
  });

  it('replays a POST with the same idempotency key instead of creating twice', async () => {
    const key = 'customer-usr_1';
    const a = await stripe.customers.create({ email: 'a@example.test' }, { idempotencyKey: key });
    const b = await stripe.customers.create({ email: 'a@example.test' }, { idempotencyKey: key });
    expect(b.id).toBe(a.id);
    const clash = await stripe.customers
      .create({ email: 'other@example.test' }, { idempotencyKey: key })
      .catch((e: unknown) => e);
    expect(clash).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('fails on demand with a 500, a dropped connection or silence, until it recovers', async () => {
    standIn.fail('server-error');
    await expect(stripe.customers.create({})).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    standIn.fail('disconnect');
    await expect(stripe.customers.create({})).rejects.toBeInstanceOf(
      Stripe.errors.StripeConnectionError,
    );
    standIn.fail('hang');
    const impatient = client(standIn.secretKey, { timeout: 200 });
    await expect(impatient.customers.create({})).rejects.toBeInstanceOf(
      Stripe.errors.StripeConnectionError,
    );
    standIn.recover();
    await expect(stripe.customers.create({})).resolves.toMatchObject({ object: 'customer' });
  });

  it('serves a hosted checkout page that pays, delivers the webhooks and redirects', async () => {
    const received: string[] = [];
    const { createServer } = await import('node:http');
    const relay = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const event = stripe.webhooks.constructEvent(
          body,
          String(req.headers['stripe-signature']),
          standIn.webhookSecret,
        );
        received.push(`${req.url} ${event.type}`);
        res.end('{"received":true}');
      });
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const port = (relay.address() as { port: number }).port;
    standIn.webhookUrl = `http://127.0.0.1:${port}`;
    try {
      const session = await openCheckout();
      const page = await fetch(session.url ?? '');
      expect(await page.text()).toContain('Subscribe to Pro');
      const paid = await fetch(session.url ?? '', {
        method: 'POST',
        body: new URLSearchParams({ action: 'pay' }),
        redirect: 'manual',
      });
      expect(paid.status).toBe(303);
      expect(paid.headers.get('location')).toBe(
        `http://relay.test/v1/billing/success?session_id=${session.id}`,
      );
      expect(received).toEqual([
        '/v1/billing/webhook customer.subscription.created',
        '/v1/billing/webhook invoice.paid',
        '/v1/billing/webhook checkout.session.completed',
      ]);
    } finally {
      await new Promise<void>((r) => relay.close(() => r()));
    }
  });
});
