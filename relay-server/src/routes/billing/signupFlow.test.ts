import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, expect, it } from 'vitest';
import {
  startStripeStandIn,
  startTestRelay,
  type StripeStandIn,
  type TestRelay,
} from '../../testing/index.js';

let stripe: StripeStandIn;
let t: TestRelay;

beforeEach(async () => {
  stripe = await startStripeStandIn();
  t = await startTestRelay({ stripe });
  // Stripe sends the webhooks of a paid checkout to the relay's endpoint.
  stripe.webhookUrl = t.url;
});
afterEach(async () => {
  await t.stop();
  await stripe.close();
});

it('seed 003 flow 1: sign up, verify, subscribe through Stripe Checkout, and use the Pro plan', async () => {
  const email = 'erin@example.test';
  const password = 'a long enough passphrase';

  // 3. Register.
  const registered = await t.api.post('/auth/register', {
    name: 'Erin Example',
    email,
    password,
    password_confirmation: password,
    accept_terms: true,
    accept_privacy: true,
  });
  expect(registered.status).toBe(201);

  // 4. Verify the email with the link from the verification mail.
  const [mail] = (await t.outbox()).filter((m) => m.to === email);
  expect(mail?.text).toContain(`${t.url}/verify-email?token=`);
  const verified = await t.api.post('/auth/verify-email', {
    token: await t.mailToken(email, 'verify-email'),
  });
  expect(verified.status).toBe(200);

  // 5. Sign in.
  const login = await t.api.post('/auth/login', { email, password });
  expect(login.status).toBe(200);
  const auth = { token: login.body.access_token as string };

  // 6. No subscription yet: the Free plan, which allows one instance.
  expect((await t.api.get('/billing/subscription', auth)).body).toMatchObject({
    status: 'none',
    plan: 'free',
  });
  const first = await t.api.post('/instances', { name: 'Files', subdomain: 'erin-files' }, auth);
  expect(first.status).toBe(201);
  const refused = await t.api.post(
    '/instances',
    { name: 'Photos', subdomain: 'erin-photos' },
    auth,
  );
  expect(refused.status).toBe(403);
  expect(refused.body.error.code).toBe('LIMIT_EXCEEDED');

  // 7–8. Subscribe: the relay opens a Stripe Checkout Session.
  const checkout = await t.api.post('/billing/checkout', { plan: 'pro' }, auth);
  expect(checkout.status).toBe(200);
  const { checkout_url: checkoutUrl, poll_interval: pollInterval } = checkout.body;

  // 9–11. The browser opens the checkout page, pays, and Stripe sends the signed webhooks and
  // redirects to the relay's success page.
  const page = await fetch(checkoutUrl);
  expect(page.status).toBe(200);
  const paid = await fetch(checkoutUrl, {
    method: 'POST',
    body: new URLSearchParams({ action: 'pay' }),
    redirect: 'manual',
  });
  expect(paid.status).toBe(303);
  const successUrl = paid.headers.get('location') ?? '';
  expect(successUrl).toBe(`${t.url}/v1/billing/success?session_id=${checkout.body.session_id}`);
  const success = await fetch(successUrl);
  expect(await success.text()).toContain('Payment successful!');

  // 12–13. Poll the subscription as the client does, until it is active.
  let subscription = (await t.api.get('/billing/subscription', auth)).body;
  for (let polls = 1; subscription.status !== 'active' && polls < 5; polls++) {
    await sleep(pollInterval);
    subscription = (await t.api.get('/billing/subscription', auth)).body;
  }
  expect(subscription).toMatchObject({
    status: 'active',
    plan: 'pro',
    cancel_at_period_end: false,
    payment_method: { brand: 'visa', last4: '4242' },
  });
  expect(Date.parse(subscription.current_period_end)).toBeGreaterThan(Date.now());

  // 14. The Pro plan now allows the second instance.
  const second = await t.api.post('/instances', { name: 'Photos', subdomain: 'erin-photos' }, auth);
  expect(second.status).toBe(201);
  expect((await t.api.get('/user', auth)).body).toMatchObject({
    subscription_status: 'active',
    subscription_plan: 'pro',
  });
});
