import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { failure, requestError } from '../testing/answers.js';
import {
  freeSubscription,
  scriptedStore,
  settle,
  signedIn,
} from '../testing/scriptedDesktopApi.js';

const activePro = { ...freeSubscription, status: 'active', plan: 'pro' } as const;
const checkout = {
  checkout_url: 'https://checkout.stripe.test/c/pay/cs_test_123',
  session_id: 'cs_test_123',
  poll_interval: 3000,
};

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('billingSlice', () => {
  it('opens checkout in the system browser and polls the subscription every poll_interval until it is active', async () => {
    const { store, host, opened } = scriptedStore();
    host.answer('startCheckout', { ok: true, value: checkout });
    const answers = [freeSubscription, freeSubscription, activePro];
    host.handle('getSubscription', () =>
      Promise.resolve({ ok: true, value: answers.shift() ?? activePro }),
    );
    host.answer('getSession', { ok: true, value: signedIn });
    store.setState({ session: signedIn });

    await store.getState().startCheckout('pro');

    expect(host.callsOf('startCheckout')).toEqual([['pro']]);
    expect(host.callsOf('openExternal')).toEqual([[checkout.checkout_url]]);
    expect(opened).toEqual([]);
    expect(store.getState().checkout).toMatchObject({
      phase: 'waiting',
      plan: 'pro',
      url: checkout.checkout_url,
    });

    await vi.advanceTimersByTimeAsync(2999);
    expect(host.callsOf('getSubscription')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(host.callsOf('getSubscription')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(6000);
    await settle();

    expect(host.callsOf('getSubscription')).toHaveLength(3);
    expect(store.getState().checkout).toEqual({ phase: 'succeeded', plan: 'pro' });
    expect(store.getState().subscription).toEqual(activePro);
    expect(host.callsOf('getSession')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(host.callsOf('getSubscription')).toHaveLength(3);
  });

  it('opens the checkout page itself when the host cannot open a browser', async () => {
    const { store, host, opened } = scriptedStore();
    host.answer('startCheckout', { ok: true, value: checkout });
    host.answer('openExternal', { ok: true, value: { opened: false } });

    await store.getState().startCheckout('business');

    expect(opened).toEqual([checkout.checkout_url]);
    store.getState().cancelCheckout();
  });

  it('stops polling when the user cancels', async () => {
    const { store, host } = scriptedStore();
    host.answer('startCheckout', { ok: true, value: checkout });

    await store.getState().startCheckout('pro');
    await vi.advanceTimersByTimeAsync(3000);
    store.getState().cancelCheckout();
    await vi.advanceTimersByTimeAsync(60_000);

    expect(host.callsOf('getSubscription')).toHaveLength(1);
    expect(store.getState().checkout).toEqual({ phase: 'idle' });
  });

  it('ignores a poll that answers after the checkout was cancelled', async () => {
    const { store, host } = scriptedStore();
    host.answer('startCheckout', { ok: true, value: checkout });
    let answer: () => void = () => {};
    host.handle(
      'getSubscription',
      () => new Promise((resolve) => (answer = () => resolve({ ok: true, value: activePro }))),
    );

    await store.getState().startCheckout('pro');
    await vi.advanceTimersByTimeAsync(3000);
    store.getState().cancelCheckout();
    answer();
    await settle();

    expect(store.getState().checkout).toEqual({ phase: 'idle' });
  });

  it('keeps waiting through a failed poll', async () => {
    const { store, host } = scriptedStore();
    host.answer('startCheckout', { ok: true, value: checkout });
    const answers = [failure('NETWORK_ERROR', 'offline'), { ok: true as const, value: activePro }];
    host.handle('getSubscription', () =>
      Promise.resolve(answers.shift() ?? { ok: true, value: activePro }),
    );

    await store.getState().startCheckout('pro');
    await vi.advanceTimersByTimeAsync(6000);
    await settle();

    expect(store.getState().checkout).toEqual({ phase: 'succeeded', plan: 'pro' });
  });

  it('gives up waiting after the checkout timeout and says so', async () => {
    const ctx = scriptedStore({ checkoutTimeoutMs: 10_000 });
    ctx.host.answer('startCheckout', { ok: true, value: checkout });
    ctx.host.handle('getSubscription', () => {
      ctx.advanceClock(3000);
      return Promise.resolve({ ok: true, value: freeSubscription });
    });

    await ctx.store.getState().startCheckout('pro');
    await vi.advanceTimersByTimeAsync(20_000);

    expect(ctx.store.getState().checkout).toEqual({
      phase: 'timedOut',
      plan: 'pro',
      url: checkout.checkout_url,
    });
    expect(ctx.host.callsOf('getSubscription')).toHaveLength(4);
  });

  it('explains that billing is not set up on this relay and goes back to idle', async () => {
    const { store, host } = scriptedStore();
    host.answer('startCheckout', failure('BILLING_NOT_CONFIGURED', 'no stripe'));

    await store.getState().startCheckout('pro');

    expect(store.getState().checkout).toEqual({ phase: 'idle' });
    expect(requestError(store, 'checkout')?.message).toMatch(/Paid plans are not available/);
    expect(host.callsOf('openExternal')).toHaveLength(0);
  });
});
