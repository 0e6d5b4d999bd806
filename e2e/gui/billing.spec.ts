import type { Page } from '@playwright/test';
import { expect, test } from './harness/fixtures.js';
import { captureScreen } from './harness/screenshots.js';
import { signedInAsNewUser } from './harness/userFlows.js';

/** Marks the page so a later check can tell it was never reloaded. */
async function markPage(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { ccNoReload: boolean }).ccNoReload = true;
  });
}

async function wasReloaded(page: Page): Promise<boolean> {
  return page.evaluate(() => !(window as unknown as { ccNoReload?: boolean }).ccNoReload);
}

/** The checkout id in a stand-in checkout URL (`…/c/pay/<id>`). */
function checkoutId(url: string): string {
  const id = /\/c\/pay\/([^/?#]+)/.exec(url)?.[1];
  if (!id) throw new Error(`not a checkout URL: ${url}`);
  return id;
}

test.describe('Plans: subscribing through Stripe Checkout', () => {
  test('paying on the opened checkout page turns the screen to Pro without a reload', async ({
    gui: page,
    world,
    app,
  }) => {
    await signedInAsNewUser(page, world.relay, 'Plans');
    await expect(page.getByText('You are on the Free plan')).toBeVisible();
    await captureScreen(page, 'plans');
    await markPage(page);

    const checkoutTab = page.context().waitForEvent('page');
    await page.getByRole('button', { name: 'Subscribe to Pro' }).click();
    await expect(
      page.getByRole('status').filter({ hasText: 'Waiting for your payment…' }),
    ).toBeVisible();
    await captureScreen(page, 'plans-waiting-for-payment');

    // The host was asked to open the checkout link, and the page opened it in a new tab.
    const tab = await checkoutTab;
    await tab.waitForLoadState();
    expect(app.openedExternally).toHaveLength(1);
    const url = app.openedExternally[0]!;
    expect(url.startsWith(world.stripe.url)).toBe(true);
    expect(tab.url()).toBe(url);
    await expect(tab.getByRole('heading', { name: 'Subscribe to Pro' })).toBeVisible();

    // The user pays on "Stripe"'s page; Stripe sends the webhooks to the relay.
    await tab.getByRole('button', { name: 'Subscribe' }).click();
    await tab.waitForURL((u) => !u.pathname.startsWith('/c/pay/'));
    await tab.close();
    expect(world.stripe.deliveries.map((d) => d.outcome)).toEqual([200, 200, 200]);

    await expect(page.getByText('Payment received. You are on the Pro plan now.')).toBeVisible({
      timeout: 20_000,
    });
    await expect(page.getByText('You are on the Pro plan (active)')).toBeVisible();
    await expect(page.getByRole('banner').getByText('Pro', { exact: true })).toBeVisible();
    await expect(page.getByText(/Renews on .* · visa ending 4242/)).toBeVisible();
    expect(await wasReloaded(page)).toBe(false);
    expect(world.stripe.checkoutSession(checkoutId(url))?.status).toBe('complete');
    await captureScreen(page, 'plans-pro');
  });

  test('webhooks the test delivers out of order still turn the screen to Business', async ({
    gui: page,
    world,
    app,
  }) => {
    await signedInAsNewUser(page, world.relay, 'Plans');
    await markPage(page);
    const checkoutTab = page.context().waitForEvent('page');
    await page.getByRole('button', { name: 'Subscribe to Business' }).click();
    await expect(page.getByText(/Waiting for your payment…/)).toBeVisible();
    await (await checkoutTab).close();
    const url = app.openedExternally[0]!;

    const done = world.stripe.completeCheckout(checkoutId(url));
    // Stripe promises no order: the session's completion first, the subscription last.
    for (const event of [...done.events].reverse()) {
      const res = await world.stripe.deliver(world.relay.url, event);
      expect(res.status).toBe(200);
    }
    await expect(page.getByText('Payment received. You are on the Business plan now.')).toBeVisible(
      {
        timeout: 20_000,
      },
    );
    await expect(page.getByRole('banner').getByText('Business', { exact: true })).toBeVisible();
    expect(await wasReloaded(page)).toBe(false);
  });

  test('cancelling the checkout stops waiting and leaves the plan as it was', async ({
    gui: page,
    world,
  }) => {
    await signedInAsNewUser(page, world.relay, 'Plans');
    const checkoutTab = page.context().waitForEvent('page');
    await page.getByRole('button', { name: 'Subscribe to Pro' }).click();
    await (await checkoutTab).close();
    await page.getByRole('button', { name: 'Cancel checkout' }).click();
    await expect(page.getByText(/Waiting for your payment…/)).toBeHidden();
    await expect(page.getByRole('button', { name: 'Subscribe to Pro' })).toBeEnabled();
    await expect(page.getByText('You are on the Free plan')).toBeVisible();
    await expect(page.getByRole('banner').getByText('Free', { exact: true })).toBeVisible();
  });
});
