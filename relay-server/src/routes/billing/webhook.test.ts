import { ErrorBody, type PaidPlan } from '@cloud-connect/agent-core/api';
import Stripe from 'stripe';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../store/types.js';
import {
  createAccount,
  manualClock,
  type ManualClock,
  type StandInEvent,
  type TestAccount,
} from '../../testing/index.js';
import { startTestRelayForTest, useStripeRelay } from '../../testing/relayFixtures.js';

// The stand-in's clock stamps events; tests move it to make one event older than another.
let clock: ManualClock;
const ctx = useStripeRelay({ standIn: () => ({ clock: (clock = manualClock()) }) });
let ann: TestAccount;
beforeEach(async () => {
  ann = await createAccount(ctx.t);
});

/** Checkout through the relay and pay at the stand-in, but deliver no webhook yet. */
async function paidCheckout(account: TestAccount, plan: PaidPlan = 'pro') {
  const res = await ctx.t.api.post('/billing/checkout', { plan }, { token: account.accessToken });
  expect(res.status).toBe(200);
  return ctx.stripe.completeCheckout(res.body.session_id);
}

async function deliverAll(...events: StandInEvent[]) {
  for (const event of events) expect((await ctx.stripe.deliver(ctx.t.url, event)).status).toBe(200);
}

/**
 * A paid subscription for Ann whose webhooks the relay has had, then the events `changes` make
 * at Stripe, each a minute after the one before, oldest first and not delivered.
 */
async function laterEvents(...changes: ((subscriptionId: string) => StandInEvent)[]) {
  const done = await paidCheckout(ann);
  await deliverAll(...done.events);
  return changes.map((change) => {
    clock.advance(60_000);
    return change(done.subscription.id);
  });
}
const setCancelAtPeriodEnd = (value: boolean) => (id: string) =>
  ctx.stripe.updateSubscription(id, { cancelAtPeriodEnd: value }).event;
const cancel = (id: string) => ctx.stripe.cancelSubscription(id).event;

const subscriptionOf = async (account: TestAccount) =>
  (await ctx.t.api.get('/billing/subscription', { token: account.accessToken })).body;
const storedSubscription = async (account: TestAccount) =>
  (await ctx.t.relay.services.store.users.get(account.id))?.subscription;
const dump = () => ctx.t.relay.services.store.dump();
const updatesLogged = () =>
  ctx.t.logs.records().filter((r) => r.msg === 'subscription updated').length;

/** POST a body and header exactly as given, bypassing the stand-in's signer. */
async function postRaw(payload: string, headers: Record<string, string>) {
  const res = await fetch(`${ctx.t.url}/v1/billing/webhook`, {
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
    const { payload, header } = ctx.stripe.sign(event);
    const before = await dump();

    const attempts = [
      await ctx.stripe.deliver(ctx.t.url, event, { secret: 'whsec_not_the_endpoint_secret' }),
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
    const stale = await ctx.stripe.deliver(ctx.t.url, done.events[2], { timestamp: now - 301 });
    expect(stale.status).toBe(400);
    expect(stale.body).toMatchObject({ error: { code: 'WEBHOOK_SIGNATURE_INVALID' } });
    expect(await dump()).toEqual(before);

    const recent = await ctx.stripe.deliver(ctx.t.url, done.events[2], { timestamp: now - 240 });
    expect(recent.status).toBe(200);
    expect((await subscriptionOf(ann)).status).toBe('active');
  });

  it('rejects a request without a Stripe-Signature header', async () => {
    const done = await paidCheckout(ann);
    const before = await dump();
    const res = await ctx.stripe.deliver(ctx.t.url, done.events[2], { header: null });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'WEBHOOK_SIGNATURE_INVALID' } });
    expect(await dump()).toEqual(before);
  });

  it('counts rejected signatures in cloud_connect_webhook_failures_total', async () => {
    const done = await paidCheckout(ann);
    await ctx.stripe.deliver(ctx.t.url, done.events[2], { header: null });
    await ctx.stripe.deliver(ctx.t.url, done.events[2], { secret: 'whsec_wrong' });
    await deliverAll(done.events[2]);
    const metrics = await (await fetch(`${ctx.t.url}/metrics`)).text();
    expect(metrics).toMatch(/^cloud_connect_webhook_failures_total\{reason="signature"\} 2$/m);
  });

  it('answers BILLING_NOT_CONFIGURED on a relay without Stripe', async () => {
    const plain = await startTestRelayForTest();
    const done = await paidCheckout(ann);
    const res = await ctx.stripe.deliver(plain.url, done.events[2]);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ error: { code: 'BILLING_NOT_CONFIGURED' } });
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
      priceId: ctx.stripe.prices.pro,
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

    const bob = await createAccount(ctx.t);
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
    const { event: cancelLater } = ctx.stripe.updateSubscription(done.subscription.id, {
      cancelAtPeriodEnd: true,
    });
    const { event: keep } = ctx.stripe.updateSubscription(done.subscription.id, {
      cancelAtPeriodEnd: false,
    });
    await deliverAll(cancelLater, keep, cancelLater);
    expect((await subscriptionOf(ann)).cancel_at_period_end).toBe(false);
  });

  it('processes an event delivered several times at once only once', async () => {
    const done = await paidCheckout(ann);
    await deliverAll(...done.events);
    const { event } = ctx.stripe.updateSubscription(done.subscription.id, {
      cancelAtPeriodEnd: true,
    });
    const logged = updatesLogged();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => ctx.stripe.deliver(ctx.t.url, event)),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(updatesLogged() - logged).toBe(1);
    expect((await subscriptionOf(ann)).cancel_at_period_end).toBe(true);
  });

  it('does not resurrect a deleted subscription with an older updated event', async () => {
    const [updated, deleted] = await laterEvents(setCancelAtPeriodEnd(true), cancel);
    await deliverAll(deleted!, updated!);
    expect(await subscriptionOf(ann)).toMatchObject({ status: 'canceled', plan: 'free' });
  });

  it('does not resurrect a deleted subscription with an updated event from the same second', async () => {
    const done = await paidCheckout(ann);
    await deliverAll(...done.events);
    const { event: pastDue } = ctx.stripe.updateSubscription(done.subscription.id, {
      status: 'past_due',
    });
    const { event: deleted } = ctx.stripe.cancelSubscription(done.subscription.id);
    expect(pastDue.created).toBe(deleted.created);
    await deliverAll(deleted, pastDue);
    expect(await subscriptionOf(ann)).toMatchObject({ status: 'canceled', plan: 'free' });
  });

  it('ignores an older subscription.updated that arrives after a newer one', async () => {
    const [older, newer] = await laterEvents(
      setCancelAtPeriodEnd(true),
      setCancelAtPeriodEnd(false),
    );
    await deliverAll(newer!, older!);
    expect((await subscriptionOf(ann)).cancel_at_period_end).toBe(false);
  });

  it('marks the subscription past_due on invoice.payment_failed and keeps the paid plan', async () => {
    await deliverAll(...(await laterEvents((id) => ctx.stripe.failRenewal(id).events[0])));
    expect(await subscriptionOf(ann)).toMatchObject({ status: 'past_due', plan: 'pro' });
  });

  it('takes the plan from the subscription’s price, not from the checkout metadata', async () => {
    // laterEvents checks out the Pro plan.
    const [event] = await laterEvents(
      (id) => ctx.stripe.updateSubscription(id, { price: ctx.stripe.prices.business }).event,
    );
    expect(event?.data.object).toMatchObject({ metadata: { plan: 'pro' } });
    await deliverAll(event!);
    expect(await subscriptionOf(ann)).toMatchObject({ status: 'active', plan: 'business' });
    expect((await ctx.t.api.get('/user', { token: ann.accessToken })).body.subscription_plan).toBe(
      'business',
    );
  });

  it('drops to free when the subscription is deleted', async () => {
    await deliverAll(...(await laterEvents(cancel)));
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
    const res = await ctx.stripe.deliver(
      ctx.t.url,
      ctx.stripe.event('customer.subscription.updated', stranger),
    );
    expect(res.status).toBe(200);
    expect((await dump()).users).toEqual(before.users);
  });

  it('acknowledges event types it does not use', async () => {
    const done = await paidCheckout(ann);
    const res = await ctx.stripe.deliver(ctx.t.url, done.events[1]);
    expect(res).toEqual({ status: 200, body: { received: true } });
    expect((await subscriptionOf(ann)).status).toBe('none');
  });
});

/** POST `payload` exactly as given, signed with the endpoint secret as Stripe signs it. */
async function postSigned(payload: string) {
  const header = Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: ctx.stripe.webhookSecret,
  });
  const res = await fetch(`${ctx.t.url}/v1/billing/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': header },
    body: payload,
  });
  return { status: res.status, body: (await res.json()) as unknown };
}

/** Arbitrary JSON reshaped field by field; `any` keeps the poison cases short. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** A copy of `event` with `change` applied to the copy, as JSON. */
function altered(event: unknown, change: (e: Json) => void): string {
  const copy = structuredClone(event) as Json;
  change(copy);
  return JSON.stringify(copy);
}

describe('POST /billing/webhook: a signed payload of the wrong shape', () => {
  /** Poison payloads built from a real subscription.created event (0), an invoice event (1), checkout (2). */
  const POISON: Array<[string, (events: StandInEvent[]) => string]> = [
    ['the JSON null', () => 'null'],
    ['an array', () => '[]'],
    ['a string', () => '"evt"'],
    ['an empty object', () => '{}'],
    ['not JSON at all', () => '{"id": "evt_cut_short", '],
    ['no data', ([e]) => altered(e, (x) => delete x.data)],
    ['data null', ([e]) => altered(e, (x) => (x.data = null))],
    ['data.object null', ([e]) => altered(e, (x) => (x.data.object = null))],
    ['data.object a string', ([e]) => altered(e, (x) => (x.data.object = 'sub_123'))],
    ['no id', ([e]) => altered(e, (x) => delete x.id)],
    ['created as a string', ([e]) => altered(e, (x) => (x.created = 'yesterday'))],
    [
      'a subscription event about an invoice',
      ([e, invoiceEvent]) =>
        altered(e, (x) => {
          x.type = 'customer.subscription.updated';
          x.data.object = structuredClone(invoiceEvent?.data.object);
        }),
    ],
    [
      'an object of an unknown type',
      ([e]) => altered(e, (x) => (x.data.object.object = 'no_such_object')),
    ],
    ['customer as a number', ([e]) => altered(e, (x) => (x.data.object.customer = 42))],
    ['customer as an object without id', ([e]) => altered(e, (x) => (x.data.object.customer = {}))],
    ['status null', ([e]) => altered(e, (x) => (x.data.object.status = null))],
    ['items.data not a list', ([e]) => altered(e, (x) => (x.data.object.items.data = 'x'))],
    [
      'a period end as a string',
      ([e]) => altered(e, (x) => (x.data.object.items.data[0].current_period_end = 'soon')),
    ],
    [
      'checkout metadata as a string',
      ([, , checkout]) => altered(checkout, (x) => (x.data.object.metadata = 'plan=business')),
    ],
  ];

  it.each(POISON)('%s → 200, ignored with a warning, nothing changed', async (_label, build) => {
    const done = await paidCheckout(ann);
    const payload = build(done.events);
    const before = await dump();
    const warnings = ctx.t.logs.records().filter((r) => r.level === 'warn').length;
    const res = await postSigned(payload);
    expect(res).toEqual({ status: 200, body: { received: true } });
    expect(await dump()).toEqual(before);
    expect(ctx.t.logs.records().filter((r) => r.level === 'warn').length).toBe(warnings + 1);
    // The well-formed events still work afterwards: nothing was poisoned.
    await deliverAll(done.events[0]);
    expect((await subscriptionOf(ann)).status).toBe('active');
  });

  it('counts ignored payloads in cloud_connect_webhook_failures_total{reason="malformed"}', async () => {
    await postSigned('null');
    await postSigned('{"id": ');
    const metrics = await (await fetch(`${ctx.t.url}/metrics`)).text();
    expect(metrics).toMatch(/^cloud_connect_webhook_failures_total\{reason="malformed"\} 2$/m);
  });

  it('answers 5xx when the store cannot be written, and applies the event when Stripe retries', async () => {
    const done = await paidCheckout(ann);
    const real = ctx.t.relay.services.store;
    // A store whose writes fail, as a full or read-only disk makes them fail.
    const diskFull = async (): Promise<never> => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    const failing: Store = Object.create(real) as Store;
    failing.users = { ...real.users, update: diskFull };
    failing.webhookEvents = { ...real.webhookEvents, record: diskFull };
    ctx.t.relay.services.store = failing;
    const before = await dump();
    let res;
    try {
      res = await ctx.stripe.deliver(ctx.t.url, done.events[0]);
    } finally {
      ctx.t.relay.services.store = real;
    }
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(ErrorBody.parse(res.body).error.code).toBe('INTERNAL');
    expect(await dump()).toEqual(before);

    // The failed attempt did not mark the event seen: the retry applies it.
    await deliverAll(done.events[0]);
    expect((await subscriptionOf(ann)).status).toBe('active');
  });
});
