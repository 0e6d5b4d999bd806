import type { Plan } from '@cloud-connect/agent-core/api';
import type { SubscriptionRecord } from '../store/types.js';
import type { TestAccount } from './accounts.js';
import type { TestRelay } from './testRelay.js';

/**
 * Put `account` on `plan` directly in the store, as an active subscription. A fixture for
 * tests of plan limits; the path through Stripe checkout and webhooks is tested with billing.
 */
export async function setPlan(t: TestRelay, account: TestAccount, plan: Plan): Promise<void> {
  const now = t.relay.services.clock.now();
  const subscription: SubscriptionRecord | null =
    plan === 'free'
      ? null
      : {
          id: `sub_test_${account.id}`,
          status: 'active',
          priceId: null,
          plan,
          currentPeriodStart: now.toISOString(),
          currentPeriodEnd: new Date(now.getTime() + 30 * 86_400_000).toISOString(),
          cancelAtPeriodEnd: false,
          paymentMethodId: null,
          paymentMethod: null,
          sourceEventCreated: Math.floor(now.getTime() / 1000),
        };
  const updated = await t.relay.services.store.users.update(account.id, { subscription });
  if (!updated) throw new Error(`setPlan: no user ${account.id}`);
}
