import type { PaidPlan } from '@cloud-connect/agent-core/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createAccount,
  createInstance,
  startStripeStandIn,
  startTestRelay,
  subscribe,
  type StripeStandIn,
  type TestAccount,
  type TestRelay,
} from '../../testing/index.js';

let stripe: StripeStandIn;
let t: TestRelay;
let ann: TestAccount;

beforeEach(async () => {
  stripe = await startStripeStandIn();
  t = await startTestRelay({ stripe });
  ann = await createAccount(t);
});
afterEach(async () => {
  await t.stop();
  await stripe.close();
});

let serial = 0;
const subdomain = () => `site-${++serial}`;
const domainName = () => `share.customer-${++serial}.example.com`;

/** Create `count` instances; they all must succeed. */
async function createInstances(account: TestAccount, count: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push((await createInstance(t, account, subdomain())).instance.id);
  return ids;
}

const tryInstance = (account: TestAccount) =>
  t.api.post(
    '/instances',
    { name: 'One too many', subdomain: subdomain() },
    { token: account.accessToken },
  );
const tryDomain = (account: TestAccount, instanceId: string) =>
  t.api.post(
    `/instances/${instanceId}/domains`,
    { domain: domainName() },
    { token: account.accessToken },
  );

async function expectDomains(account: TestAccount, instanceId: string, allowed: number) {
  for (let n = 1; n <= allowed; n++)
    expect((await tryDomain(account, instanceId)).status).toBe(201);
  const over = await tryDomain(account, instanceId);
  expect(over.status).toBe(403);
  expect(over.body.error).toMatchObject({
    code: 'LIMIT_EXCEEDED',
    details: { resource: 'domains', limit: allowed },
  });
}

async function expectInstanceLimit(account: TestAccount, plan: string, limit: number) {
  const over = await tryInstance(account);
  expect(over.status).toBe(403);
  expect(over.body.error).toMatchObject({
    code: 'LIMIT_EXCEEDED',
    details: { plan, resource: 'instances', limit },
  });
}

describe('plan limits, before and after subscribing through Stripe', () => {
  it('Free allows 1 instance and no custom domain', async () => {
    const [id] = await createInstances(ann, 1);
    await expectInstanceLimit(ann, 'free', 1);
    const domain = await tryDomain(ann, id ?? '');
    expect(domain.status).toBe(402);
    expect(domain.body.error.code).toBe('SUBSCRIPTION_REQUIRED');
  });

  it.each([
    ['pro', 3, 1],
    ['business', 10, 5],
  ] as Array<[PaidPlan, number, number]>)(
    '%s allows %i instances and %i custom domains on each',
    async (plan, instances, domains) => {
      await subscribe(t, stripe, ann, plan);
      const [first, second] = await createInstances(ann, instances);
      await expectInstanceLimit(ann, plan, instances);
      await expectDomains(ann, first ?? '', domains);
      // The limit is per instance: another instance has its own allowance.
      expect((await tryDomain(ann, second ?? '')).status).toBe(201);
    },
  );

  it('falls back to the Free limits once Stripe deletes the subscription', async () => {
    const done = await subscribe(t, stripe, ann, 'pro');
    const [id] = await createInstances(ann, 2);
    await stripe.deliver(t.url, stripe.cancelSubscription(done.subscription.id).event);

    await expectInstanceLimit(ann, 'free', 1);
    const domain = await tryDomain(ann, id ?? '');
    expect(domain.status).toBe(402);
    expect(domain.body.error.code).toBe('SUBSCRIPTION_REQUIRED');
  });
});
