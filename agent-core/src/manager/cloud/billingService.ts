import type { PaidPlan } from '../../api/index.js';
import type { UserCalls } from './accountService.js';

/** The user's subscription, Checkout and the billing portal, over the Cloud API. */
export class BillingService {
  constructor(private readonly account: UserCalls) {}

  getSubscription() {
    return this.account.call(async (client) => {
      const sub = await client.call('getSubscription', {});
      this.account.notePlan(sub.plan, sub.status);
      return sub;
    });
  }

  startCheckout(plan: PaidPlan) {
    return this.account.call((client) => client.call('checkout', { body: { plan } }));
  }

  openBillingPortal() {
    return this.account.call((client) =>
      client.call('portal', { body: { return_url: `${client.baseUrl}/v1/billing/return` } }),
    );
  }
}
