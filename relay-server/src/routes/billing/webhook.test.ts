import type { PaidPlan } from '@cloud-connect/agent-core/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createAccount,
  manualClock,
  startStripeStandIn,
  startTestRelay,
  type ManualClock,
  type StandInEvent,
  type StripeStandIn,
  type TestAccount,
  type TestRelay,
} from '../../testing/index.js';

let clock: ManualClock;
let stripe: StripeStandIn;
let t: TestRelay;
let ann: TestAccount;

beforeEach(async () => {
  // The stand-in's clock stamps events; tests move it to make one event older than another.
  clock = manualClock();
  stripe = await startStripeStandIn({ clock });
  t = await startTestRelay({ stripe });
  ann = await createAccount(t);
});
afterEach(async () => {
  await t.stop();
  await stripe.close();
});

/** Checkout through the relay and pay at the stand-in, but deliver no webhook yet. */
async function paidCheckout(account: TestAccount, plan: PaidPlan = 'pro') {
  const res = await t.api.post('/billing/checkout', { plan }, { token: account.accessToken });
  expect(res.status).toBe(200);
  return stripe.completeCheckout(res.body.session_id);
}

async function deliverAll(...events: StandInEvent[]) {
  for (const event of events) expect((await stripe.deliver(t.url, event)).status).toBe(200);
}

const subscriptionOf = async (account: TestAccount) =>
  (await t.api.get('/billing/subscription', { token: account.accessToken })).body;
const storedSubscription = async (account: TestAccount) =>
  (await t.relay.services.store.users.get(account.id))?.subscription;
const dump = () => t.relay.services.store.dump();
const updatesLogged = () => t.logs.records().filter((r) => r.msg === 'subscription updated').length;

/** POST a body and header exactly as given, bypassing the stand-in's signer. */
async function postRaw(payload: string, headers: Record<string, string>) {
  const res = await fetch(`${t.url}/v1/billing/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: payload,
  });
  return { status: res.status, body: (await res.json()) as { error: { code: string } } };
}

describe('POST /billing/webhook: signature', () => {
  it('rejects a wrong secret, a changed body or a garbled header with 400 and changes nothing', async () => {
    const done = await paidCheckout(ann);
    const event = done.events[2];
    const { payload, header } = stripe.sign(event);
    const before = await dump();

    const attempts = [
      await stripe.deliver(t.url, event, { secret: 'whsec_not_the_endpoint_secret' }),
      await postRaw(payload.replace('"paid"', '"unpaid"'), { 'stripe-signature': header }),
      // Same JSON, other bytes: the signature covers the raw body, not its parsed value.
      await postRaw(JSON.stringify(JSON.parse(payload)), { 'stripe-signature': header }),
      await postRaw(payload, { 'stripe-signature': 'garbage' }),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: { code: 'WEBHOOK_SIGNATURE_INVALID' } });
    }
    expect(await dump()).toEqual(before);
  });

  it('rejects a signature older than 300 seconds and accepts one inside the window', async () => {
    const done = await paidCheckout(ann);
    const now = Math.floor(Date.now() / 1000);
    const before = await dump();
    const stale = await stripe.deliver(t.url, done.events[2], { timestamp: now - 301 });
    expect(stale.status).toBe(400);
    expect(stale.body).toMatchObject({ error: { code: 'WEBHOOK_SIGNATURE_INVALID' } });
    expect(await dump()).toEqual(before);

    const recent = await stripe.deliver(t.url, done.events[2], { timestamp: now - 240 });
    expect(recent.status).toBe(200);
    expect((await subscriptionOf(ann)).status).toBe('active');
  });

  it('rejects a request without a Stripe-Signature header', async () => {
    const done = await paidCheckout(ann);
    const before = await dump();
    const res = await stripe.deliver(t.url, done.events[2], { header: null });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'WEBHOOK_SIGNATURE_INVALID' } });
    expect(await dump()).toEqual(before);
  });

  it('counts rejected signatures in cloud_connect_webhook_failures_total', async () => {
    const done = await paidCheckout(ann);
    await stripe.deliver(t.url, done.events[2], { header: null });
    await stripe.deliver(t.url, done.events[2], { secret: 'whsec_wrong' });
    await deliverAll(done.events[2]);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).toMatch(/^cloud_connect_webhook_failures_total\{reason="signature"\} 2$/m);
  });

  it('answers BILLING_NOT_CONFIGURED on a relay without Stripe', async () => {
    const plain = await startTestRelay();
    try {
      const done = await paidCheckout(ann);
      const res = await stripe.deliver(plain.url, done.events[2]);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ error: { code: 'BILLING_NOT_CONFIGURED' } });
    } finally {
      await plain.stop();
    }
  });
});

describe('POST /billing/webhook: events', () => {
  it('activates the plan from checkout.session.completed alone', async () => {
    const done = await paidCheckout(ann, 'business');
    await deliverAll(done.events[2]);
    expect(await subscriptionOf(ann)).toMatchObject({ status: 'active', plan: 'business' });
  });

  it('takes status, plan, period and card from customer.subscription.created', async () => {
    const done = await paidCheckout(ann);
    await deliverAll(done.events[0]);
    const item = done.subscription.items.data[0];
    expect(await storedSubscription(ann)).toMatchObject({
      id: done.subscription.id,
      status: 'active',
      plan: 'pro',
      priceId: stripe.prices.pro,
      currentPeriodStart: new Date((item?.current_period_start ?? 0) * 1000).toISOString(),
      currentPeriodEnd: new Date((item?.current_period_end ?? 0) * 1000).toISOString(),
      paymentMethodId: done.paymentMethod.id,
    });
  });

  it('ends in the same state whether subscription.created or checkout.session.completed comes first', async () => {
    const done = await paidCheckout(ann);
    const [created, paid, completed] = done.events;
    await deliverAll(created, paid, completed);
    const createdFirst = await storedSubscription(ann);

    const bob = await createAccount(t);
    const other = await paidCheckout(bob);
    await deliverAll(other.events[2], other.events[1], other.events[0]);
    const completedFirst = await storedSubscription(bob);

    expect(createdFirst?.currentPeriodEnd).not.toBeNull();
    expect({ ...completedFirst, id: 'x', paymentMethodId: 'x' }).toEqual({
      ...createdFirst,
      id: 'x',
      paymentMethodId: 'x',
    });
  });

  it('processes a redelivered event id once', async () => {
    const done = await paidCheckout(ann);
    await deliverAll(...done.events);
    // Two changes stamped in the same second: only event ids tell a replay from news.
    const { event: cancelLater } = stripe.updateSubscription(done.subscription.id, {
      cancelAtPeriodEnd: true,
    });
    const { event: keep } = stripe.updateSubscription(done.subscription.id, {
      cancelAtPeriodEnd: false,
    });
    await deliverAll(cancelLater, keep, cancelLater);
    expect((await subscriptionOf(ann)).cancel_at_period_end).toBe(false);
  });

  it('processes an event delivered several times at once only once', async () => {
    const done = await paidCheckout(ann);
    await deliverAll(...done.events);
    const { event } = stripe.updateSubscription(done.subscription.id, { cancelAtPeriodEnd: true });
    const logged = updatesLogged();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => stripe.deliver(t.url, event)),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(updatesLogged() - logged).toBe(1);
    expect((await subscriptionOf(ann)).cancel_at_period_end).toBe(true);
  });

  it('does not resurrect a deleted subscription with an older updated event', async () => {
    const done = await paidCheckout(ann);
    await deliverAll(...done.events);
    clock.advance(60_000);
    const { event: updated } = stripe.updateSubscription(done.subscription.id, {
      cancelAtPeriodEnd: true,
    });
    clock.advance(60_000);
    const { event: deleted } = stripe.cancelSubscription(done.subscription.id);
    await deliverAll(deleted, updated);
    expect(await subscriptionOf(ann)).toMatchObject({ status: 'canceled', plan: 'free' });
  });

  it('does not resurrect a deleted subscription with an updated event from the same second', async () => {
    const done = await paidCheckout(ann);
    await deliverAll(...done.events);
    const { event: pastDue } = stripe.updateSubscription(done.subscription.id, {
      status: 'past_due',
    });
    const { event: deleted } = stripe.cancelSubscription(done.subscription.id);
    expect(pastDue.created).toBe(deleted.created);
    await deliverAll(deleted, pastDue);
    expect(await subscriptionOf(ann)).toMatchObject({ status: 'canceled', plan: 'free' });
  });

  it('ignores an older subscription.updated that arrives after a newer one', async () => {
    const done = await paidCheckout(ann);
    await deliverAll(...done.events);
    clock.advance(60_000);
    const { event: older } = stripe.updateSubscription(done.subscription.id, {
      cancelAtPeriodEnd: true,
    });
    clock.advance(60_000);
    const { event: newer } = stripe.updateSubscription(done.subscription.id, {
      cancelAtPeriodEnd: false,
    });
    await deliverAll(newer, older);
    expect((await subscriptionOf(ann)).cancel_at_period_end).toBe(false);
  });

  it('marks the subscription past_due on invoice.payment_failed and keeps the paid plan', async () => {
    const done = await paidCheckout(ann);
    await deliverAll(...done.events);
    clock.advance(60_000);
    const { events } = stripe.failRenewal(done.subscription.id);
    await deliverAll(events[0]);
    expect(await subscriptionOf(ann)).toMatchObject({ status: 'past_due', plan: 'pro' });
  });

  it('takes the plan from the subscription’s price, not from the checkout metadata', async () => {
    const done = await paidCheckout(ann, 'pro');
    await deliverAll(...done.events);
    clock.advance(60_000);
    const { event } = stripe.updateSubscription(done.subscription.id, {
      price: stripe.prices.business,
    });
    expect(event.data.object.metadata).toMatchObject({ plan: 'pro' });
    await deliverAll(event);
    expect(await subscriptionOf(ann)).toMatchObject({ status: 'active', plan: 'business' });
    expect((await t.api.get('/user', { token: ann.accessToken })).body.subscription_plan).toBe(
      'business',
    );
  });

  it('drops to free when the subscription is deleted', async () => {
    const done = await paidCheckout(ann);
    await deliverAll(...done.events);
    clock.advance(60_000);
    await deliverAll(stripe.cancelSubscription(done.subscription.id).event);
    expect(await subscriptionOf(ann)).toMatchObject({ status: 'canceled', plan: 'free' });
  });

  it('answers 200 and changes no user for a customer it does not know', async () => {
    const done = await paidCheckout(ann);
    const stranger = {
      ...structuredClone(done.subscription),
      customer: 'cus_StrangerNotOurs',
      metadata: {},
    };
    const before = await dump();
    const res = await stripe.deliver(
      t.url,
      stripe.event('customer.subscription.updated', stranger),
    );
    expect(res.status).toBe(200);
    expect((await dump()).users).toEqual(before.users);
  });

  it('acknowledges event types it does not use', async () => {
    const done = await paidCheckout(ann);
    const res = await stripe.deliver(t.url, done.events[1]);
    expect(res).toEqual({ status: 200, body: { received: true } });
    expect((await subscriptionOf(ann)).status).toBe('none');
  });
});
