import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { useStripeRelay } from '../../testing/relayFixtures.js';

// Stripe sends the webhooks of a paid checkout to the relay's endpoint.
const ctx = useStripeRelay({ webhooks: true });

it('seed 003 flow 1: sign up, verify, subscribe through Stripe Checkout, and use the Pro plan', async () => {
  const email = 'erin@example.test';
  const password = 'a long enough passphrase';

  // 3. Register.
  const registered = await ctx.t.api.post('/auth/register', {
    name: 'Erin Example',
    email,
    password,
    password_confirmation: password,
    accept_terms: true,
    accept_privacy: true,
  });
  expect(registered.status).toBe(201);

  // 4. Verify the email with the link from the verification mail.
  const [mail] = (await ctx.t.outbox()).filter((m) => m.to === email);
  expect(mail?.text).toContain(`${ctx.t.url}/verify-email?token=`);
  const verified = await ctx.t.api.post('/auth/verify-email', {
    token: await ctx.t.mailToken(email, 'verify-email'),
  });
  expect(verified.status).toBe(200);

  // 5. Sign in.
  const login = await ctx.t.api.post('/auth/login', { email, password });
  expect(login.status).toBe(200);
  const auth = { token: login.body.access_token as string };

  // 6. No subscription yet: the Free plan, which allows one instance.
  expect((await ctx.t.api.get('/billing/subscription', auth)).body).toMatchObject({
    status: 'none',
    plan: 'free',
  });
  const first = await ctx.t.api.post(
    '/instances',
    { name: 'Files', subdomain: 'erin-files' },
    auth,
  );
  expect(first.status).toBe(201);
  const refused = await ctx.t.api.post(
    '/instances',
    { name: 'Photos', subdomain: 'erin-photos' },
    auth,
  );
  expect(refused.status).toBe(403);
  expect(refused.body.error.code).toBe('LIMIT_EXCEEDED');

  // 7–8. Subscribe: the relay opens a Stripe Checkout Session.
  const checkout = await ctx.t.api.post('/billing/checkout', { plan: 'pro' }, auth);
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
  expect(successUrl).toBe(`${ctx.t.url}/v1/billing/success?session_id=${checkout.body.session_id}`);
  const success = await fetch(successUrl);
  expect(await success.text()).toContain('Payment successful!');

  // 12–13. Poll the subscription as the client does, until it is active.
  let subscription = (await ctx.t.api.get('/billing/subscription', auth)).body;
  for (let polls = 1; subscription.status !== 'active' && polls < 5; polls++) {
    await sleep(pollInterval);
    subscription = (await ctx.t.api.get('/billing/subscription', auth)).body;
  }
  expect(subscription).toMatchObject({
    status: 'active',
    plan: 'pro',
    cancel_at_period_end: false,
    payment_method: { brand: 'visa', last4: '4242' },
  });
  expect(Date.parse(subscription.current_period_end)).toBeGreaterThan(Date.now());

  // 14. The Pro plan now allows the second instance.
  const second = await ctx.t.api.post(
    '/instances',
    { name: 'Photos', subdomain: 'erin-photos' },
    auth,
  );
  expect(second.status).toBe(201);
  expect((await ctx.t.api.get('/user', auth)).body).toMatchObject({
    subscription_status: 'active',
    subscription_plan: 'pro',
  });
});
