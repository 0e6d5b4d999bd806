import type { PaidPlan } from '@cloud-connect/agent-core/api';
import { beforeEach, describe, expect, it } from 'vitest';
import { createAccount, createInstance, subscribe, type TestAccount } from '../../testing/index.js';
import { useStripeRelay } from '../../testing/relayFixtures.js';

const ctx = useStripeRelay();
let ann: TestAccount;
beforeEach(async () => {
  ann = await createAccount(ctx.t);
});

let serial = 0;
const subdomain = () => `site-${++serial}`;
const domainName = () => `share.customer-${++serial}.example.com`;

/** Create `count` instances; they all must succeed. */
async function createInstances(account: TestAccount, count: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push((await createInstance(ctx.t, account, subdomain())).instance.id);
  return ids;
}

const tryInstance = (account: TestAccount) =>
  ctx.t.api.post(
    '/instances',
    { name: 'One too many', subdomain: subdomain() },
    { token: account.accessToken },
  );
const tryDomain = (account: TestAccount, instanceId: string) =>
  ctx.t.api.post(
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
      await subscribe(ctx.t, ctx.stripe, ann, plan);
      const [first, second] = await createInstances(ann, instances);
      await expectInstanceLimit(ann, plan, instances);
      await expectDomains(ann, first ?? '', domains);
      // The limit is per instance: another instance has its own allowance.
      expect((await tryDomain(ann, second ?? '')).status).toBe(201);
    },
  );

  it('falls back to the Free limits once Stripe deletes the subscription', async () => {
    const done = await subscribe(ctx.t, ctx.stripe, ann, 'pro');
    const [id] = await createInstances(ann, 2);
    await ctx.stripe.deliver(ctx.t.url, ctx.stripe.cancelSubscription(done.subscription.id).event);

    await expectInstanceLimit(ann, 'free', 1);
    const domain = await tryDomain(ann, id ?? '');
    expect(domain.status).toBe(402);
    expect(domain.body.error.code).toBe('SUBSCRIPTION_REQUIRED');
  });
});
