import type { PaidPlan, Subscription } from '@cloud-connect/agent-core/api';
import { track } from './requests.js';
import type { SliceCreator } from './storeTypes.js';

/** Where a checkout stands, from the click on Subscribe to the plan turning active. */
export type CheckoutState =
  | { phase: 'idle' }
  | { phase: 'starting'; plan: PaidPlan }
  /** Checkout is open in the browser; the subscription is polled every `pollInterval` ms. */
  | { phase: 'waiting'; plan: PaidPlan; url: string; pollInterval: number; startedAt: number }
  | { phase: 'succeeded'; plan: PaidPlan }
  | { phase: 'timedOut'; plan: PaidPlan; url: string };

export interface BillingSlice {
  subscription: Subscription | null;
  checkout: CheckoutState;
  loadSubscription(): Promise<void>;
  /** Creates the Checkout session, opens it in the browser and waits for the plan to turn active. */
  startCheckout(plan: PaidPlan): Promise<void>;
  /** Stops waiting (the user closed the checkout tab or changed their mind). */
  cancelCheckout(): void;
  /** Back to idle after a success or a timeout was shown. */
  dismissCheckout(): void;
  openBillingPortal(): Promise<void>;
}

/** Statuses in which the paid plan is in force. */
export function isPaidActive(subscription: Subscription | null): boolean {
  return (
    subscription !== null &&
    subscription.plan !== 'free' &&
    (subscription.status === 'active' || subscription.status === 'trialing')
  );
}

const DEFAULT_CHECKOUT_TIMEOUT_MS = 30 * 60_000;
const MIN_POLL_MS = 1000;

export const createBillingSlice: SliceCreator<BillingSlice> = (set, get, deps) => {
  let pollTimer: ReturnType<typeof setTimeout> | null = null;
  // Each checkout gets a number so a poll that answers after a cancel is ignored.
  let checkoutRun = 0;

  function stopPolling(): void {
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = null;
  }

  function schedulePoll(run: number): void {
    const state = get().checkout;
    if (state.phase !== 'waiting') return;
    pollTimer = setTimeout(() => void poll(run), Math.max(MIN_POLL_MS, state.pollInterval));
  }

  async function poll(run: number): Promise<void> {
    pollTimer = null;
    const state = get().checkout;
    if (run !== checkoutRun || state.phase !== 'waiting') return;
    const result = await deps.api.getSubscription();
    if (run !== checkoutRun) return;
    if (result.ok) {
      set({ subscription: result.value });
      if (isPaidActive(result.value)) {
        set({ checkout: { phase: 'succeeded', plan: state.plan } });
        await get().loadSession();
        get().showFlash('success', `You are now on the ${planName(result.value.plan)} plan.`);
        return;
      }
    }
    // A failed poll (network hiccup) is not the end of the checkout: keep waiting.
    const timeout = deps.checkoutTimeoutMs ?? DEFAULT_CHECKOUT_TIMEOUT_MS;
    if (deps.now() - state.startedAt >= timeout) {
      set({ checkout: { phase: 'timedOut', plan: state.plan, url: state.url } });
      return;
    }
    schedulePoll(run);
  }

  return {
    subscription: null,
    checkout: { phase: 'idle' },

    loadSubscription: async () => {
      const result = await track(set, 'loadSubscription', () => deps.api.getSubscription());
      if (result.ok) set({ subscription: result.value });
    },

    startCheckout: async (plan) => {
      stopPolling();
      const run = ++checkoutRun;
      set({ checkout: { phase: 'starting', plan } });
      const result = await track(set, 'checkout', () => deps.api.startCheckout(plan));
      if (run !== checkoutRun) return;
      if (!result.ok) {
        set({ checkout: { phase: 'idle' } });
        return;
      }
      const { checkout_url: url, poll_interval: pollInterval } = result.value;
      set({ checkout: { phase: 'waiting', plan, url, pollInterval, startedAt: deps.now() } });
      await get().openExternal(url);
      if (run === checkoutRun) schedulePoll(run);
    },

    cancelCheckout: () => {
      checkoutRun++;
      stopPolling();
      set({ checkout: { phase: 'idle' } });
    },

    dismissCheckout: () => {
      if (get().checkout.phase === 'waiting') return;
      set({ checkout: { phase: 'idle' } });
    },

    openBillingPortal: async () => {
      const result = await track(set, 'billingPortal', () => deps.api.openBillingPortal());
      if (result.ok) await get().openExternal(result.value.portal_url);
    },
  };
};

/** The plan's display name. */
export function planName(plan: Subscription['plan']): string {
  return plan === 'free' ? 'Free' : plan === 'pro' ? 'Pro' : 'Business';
}
