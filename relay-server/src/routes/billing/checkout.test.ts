import { beforeEach, describe, expect, it } from 'vitest';
import { createBilling } from '../../billing/billing.js';
import { loadConfig } from '../../config/config.js';
import { createAccount, subscribe, type TestAccount } from '../../testing/index.js';
import { startTestRelayForTest, useStripeRelay } from '../../testing/relayFixtures.js';

const ctx = useStripeRelay();
let ann: TestAccount;
beforeEach(async () => {
  ann = await createAccount(ctx.t, { name: 'Ann Example' });
});

const as = (account: TestAccount) => ({ token: account.accessToken });
const user = async (account: TestAccount) =>
  (await ctx.t.relay.services.store.users.get(account.id)) ?? undefined;

describe('POST /billing/checkout', () => {
  it('opens a subscription Checkout Session for the plan price with the relay’s own redirect pages', async () => {
    const res = await ctx.t.api.post('/billing/checkout', { plan: 'pro' }, as(ann));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      checkout_url: `${ctx.stripe.url}/c/pay/${res.body.session_id}`,
      session_id: expect.stringMatching(/^cs_test_/),
      poll_interval: 3000,
    });

    const [customer] = ctx.stripe.requestsTo('POST', '/v1/customers');
    expect(customer?.form).toMatchObject({
      email: ann.email,
      name: 'Ann Example',
      metadata: { user_id: ann.id },
    });
    const [session] = ctx.stripe.requestsTo('POST', '/v1/checkout/sessions');
    expect(session?.form).toEqual({
      mode: 'subscription',
      customer: (await user(ann))?.stripeCustomerId,
      client_reference_id: ann.id,
      line_items: [{ price: ctx.stripe.prices.pro, quantity: '1' }],
      success_url: `${ctx.t.url}/v1/billing/success?session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: `${ctx.t.url}/v1/billing/cancel`,
      metadata: { user_id: ann.id, plan: 'pro' },
      subscription_data: { metadata: { user_id: ann.id, plan: 'pro' } },
    });
  });

  it('uses the Business price for the business plan and reuses the Stripe customer', async () => {
    await ctx.t.api.post('/billing/checkout', { plan: 'pro' }, as(ann));
    const res = await ctx.t.api.post('/billing/checkout', { plan: 'business' }, as(ann));
    expect(res.status).toBe(200);
    expect(ctx.stripe.checkoutSession(res.body.session_id)?.amount_total).toBe(1500);
    expect(ctx.stripe.requestsTo('POST', '/v1/customers')).toHaveLength(1);
    const sessions = ctx.stripe.requestsTo('POST', '/v1/checkout/sessions');
    expect(sessions.map((r) => r.form.line_items)).toEqual([
      [{ price: ctx.stripe.prices.pro, quantity: '1' }],
      [{ price: ctx.stripe.prices.business, quantity: '1' }],
    ]);
  });

  it('answers UNAUTHORIZED without a valid access token and calls no Stripe endpoint', async () => {
    const none = await ctx.t.api.post('/billing/checkout', { plan: 'pro' });
    const bad = await ctx.t.api.post('/billing/checkout', { plan: 'pro' }, { token: 'not.a.jwt' });
    for (const res of [none, bad]) {
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
    }
    expect(ctx.stripe.requests).toHaveLength(0);
  });

  it('answers VALIDATION_ERROR for an unknown or missing plan', async () => {
    for (const body of [{ plan: 'enterprise' }, { plan: 'free' }, {}, { plan: 'pro', extra: 1 }]) {
      const res = await ctx.t.api.post('/billing/checkout', body, as(ann));
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
    }
    expect(ctx.stripe.requests).toHaveLength(0);
  });

  it('answers VALIDATION_ERROR to a user who already has a paid plan, without calling Stripe', async () => {
    await subscribe(ctx.t, ctx.stripe, ann, 'pro');
    const before = ctx.stripe.requests.length;
    const res = await ctx.t.api.post('/billing/checkout', { plan: 'business' }, as(ann));
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({
      code: 'VALIDATION_ERROR',
      details: { fields: { plan: expect.stringContaining('billing portal') } },
    });
    expect(ctx.stripe.requests).toHaveLength(before);
  });

  it('answers SERVICE_UNAVAILABLE when Stripe fails, and leaves the account unchanged', async () => {
    const before = await ctx.t.relay.services.store.dump();
    for (const failure of ['server-error', 'disconnect'] as const) {
      ctx.stripe.fail(failure);
      const res = await ctx.t.api.post('/billing/checkout', { plan: 'pro' }, as(ann));
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('SERVICE_UNAVAILABLE');
      expect(res.text).not.toContain(ctx.stripe.secretKey);
    }
    expect(await ctx.t.relay.services.store.dump()).toEqual(before);

    ctx.stripe.recover();
    const res = await ctx.t.api.post('/billing/checkout', { plan: 'pro' }, as(ann));
    expect(res.status).toBe(200);
  });

  it('counts a Stripe 500 as failed only after stripe-node’s one retry with the same idempotency key', async () => {
    ctx.stripe.fail('server-error');
    await ctx.t.api.post('/billing/checkout', { plan: 'pro' }, as(ann));
    const tries = ctx.stripe.requestsTo('POST', '/v1/customers');
    expect(tries).toHaveLength(2);
    expect(tries[0]?.idempotencyKey).toBe(`customer-${ann.id}`);
    expect(tries[1]?.idempotencyKey).toBe(tries[0]?.idempotencyKey);
  });
});

describe('a Stripe that does not answer', () => {
  it('turns a timed-out Stripe call into SERVICE_UNAVAILABLE', async () => {
    const stripeConfig = loadConfig(ctx.stripe.env).stripe;
    const impatient = await startTestRelayForTest({
      env: ctx.stripe.env,
      services: { billing: createBilling(stripeConfig, () => new Date(), { timeoutMs: 200 }) },
    });
    try {
      const bob = await createAccount(impatient);
      ctx.stripe.fail('hang');
      const started = Date.now();
      const res = await impatient.api.post('/billing/checkout', { plan: 'pro' }, as(bob));
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('SERVICE_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      ctx.stripe.recover();
    }
  });
});

describe('GET /billing/subscription', () => {
  it('answers free and none for an account that never subscribed', async () => {
    const res = await ctx.t.api.get('/billing/subscription', as(ann));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'none',
      plan: 'free',
      current_period_start: null,
      current_period_end: null,
      cancel_at_period_end: false,
      payment_method: null,
    });
    expect(ctx.stripe.requests).toHaveLength(0);
  });

  it('shows an active pro subscription with its period and card, fetching the card once', async () => {
    const done = await subscribe(ctx.t, ctx.stripe, ann, 'pro');
    const item = done.subscription.items.data[0];
    const iso = (unix: number | undefined) => new Date((unix ?? 0) * 1000).toISOString();

    const first = await ctx.t.api.get('/billing/subscription', as(ann));
    const second = await ctx.t.api.get('/billing/subscription', as(ann));
    for (const res of [first, second]) {
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        status: 'active',
        plan: 'pro',
        current_period_start: iso(item?.current_period_start),
        current_period_end: iso(item?.current_period_end),
        cancel_at_period_end: false,
        payment_method: { brand: 'visa', last4: '4242' },
      });
    }
    expect(
      ctx.stripe.requestsTo('GET', `/v1/payment_methods/${done.paymentMethod.id}`),
    ).toHaveLength(1);
  });

  it('still answers, without the card, while Stripe is down', async () => {
    await subscribe(ctx.t, ctx.stripe, ann, 'pro');
    ctx.stripe.fail('server-error');
    const down = await ctx.t.api.get('/billing/subscription', as(ann));
    expect(down.status).toBe(200);
    expect(down.body).toMatchObject({ status: 'active', plan: 'pro', payment_method: null });
    ctx.stripe.recover();
    const up = await ctx.t.api.get('/billing/subscription', as(ann));
    expect(up.body.payment_method).toEqual({ brand: 'visa', last4: '4242' });
  });

  it('answers UNAUTHORIZED without a token', async () => {
    const res = await ctx.t.api.get('/billing/subscription');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
  });
});

describe('POST /billing/portal', () => {
  const returnUrl = 'https://dashboard.example.test/settings';

  it('opens a Customer Portal session for the subscriber’s Stripe customer', async () => {
    const done = await subscribe(ctx.t, ctx.stripe, ann, 'pro');
    const res = await ctx.t.api.post('/billing/portal', { return_url: returnUrl }, as(ann));
    expect(res.status).toBe(200);
    expect(res.body.portal_url).toMatch(new RegExp(`^${ctx.stripe.url}/p/session/test_`));
    const [portal] = ctx.stripe.requestsTo('POST', '/v1/billing_portal/sessions');
    expect(portal?.form).toEqual({ customer: done.customer.id, return_url: returnUrl });
  });

  it('answers SUBSCRIPTION_REQUIRED to a user with no subscription, even after an abandoned checkout', async () => {
    const never = await ctx.t.api.post('/billing/portal', { return_url: returnUrl }, as(ann));
    await ctx.t.api.post('/billing/checkout', { plan: 'pro' }, as(ann));
    const abandoned = await ctx.t.api.post('/billing/portal', { return_url: returnUrl }, as(ann));
    for (const res of [never, abandoned]) {
      expect(res.status).toBe(402);
      expect(res.body.error.code).toBe('SUBSCRIPTION_REQUIRED');
    }
    expect(ctx.stripe.requestsTo('POST', '/v1/billing_portal/sessions')).toHaveLength(0);
  });

  it('answers VALIDATION_ERROR for a return_url that is not an http(s) URL', async () => {
    await subscribe(ctx.t, ctx.stripe, ann, 'pro');
    for (const return_url of ['javascript:alert(1)', 'not a url', 'ftp://example.test/x', 42]) {
      const res = await ctx.t.api.post('/billing/portal', { return_url }, as(ann));
      expect(res.status).toBe(422);
      expect(res.body.error.details.fields).toHaveProperty('return_url');
    }
    const missing = await ctx.t.api.post('/billing/portal', {}, as(ann));
    expect(missing.status).toBe(422);
    expect(ctx.stripe.requestsTo('POST', '/v1/billing_portal/sessions')).toHaveLength(0);
  });

  it('answers SERVICE_UNAVAILABLE when Stripe fails and UNAUTHORIZED without a token', async () => {
    await subscribe(ctx.t, ctx.stripe, ann, 'pro');
    ctx.stripe.fail('server-error');
    const down = await ctx.t.api.post('/billing/portal', { return_url: returnUrl }, as(ann));
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('SERVICE_UNAVAILABLE');
    ctx.stripe.recover();
    const anonymous = await ctx.t.api.post('/billing/portal', { return_url: returnUrl });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('UNAUTHORIZED');
  });
});

describe('a relay without Stripe', () => {
  it.each([
    ['/billing/checkout', { plan: 'pro' }],
    ['/billing/portal', { return_url: 'https://dashboard.example.test/settings' }],
  ])('answers BILLING_NOT_CONFIGURED to POST %s', async (path, body) => {
    const plain = await startTestRelayForTest();
    const bob = await createAccount(plain);
    const res = await plain.api.post(path, body, as(bob));
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('BILLING_NOT_CONFIGURED');
  });
});

describe('the Stripe redirect pages', () => {
  it('GET /billing/success says the payment went through and the tab can close', async () => {
    const res = await fetch(`${ctx.t.url}/v1/billing/success?session_id=cs_test_x`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('Payment successful! You can close this tab');
  });

  it('GET /billing/cancel says the payment was cancelled and can be tried again', async () => {
    const res = await fetch(`${ctx.t.url}/v1/billing/cancel`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('Payment cancelled. You can close this tab and try again');
  });
});
