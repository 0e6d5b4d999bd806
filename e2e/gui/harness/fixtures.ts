import { test as base, expect, type Page } from '@playwright/test';
import type { TestKeyring } from '@cloud-connect/agent-core/testing';
import { startDesktopApp, type DesktopApp } from './desktopApp.js';
import { startGuiKeyring, startGuiWorld, type GuiWorld } from './guiWorld.js';

interface WorkerFixtures {
  /** gnome-keyring on a private D-Bus session, shared by the worker's apps (each has its own service). */
  keyring: TestKeyring;
  /** Relay + Stripe stand-in + DNS server + Docker stand-in, shared by the worker's tests. */
  world: GuiWorld;
}

interface TestFixtures {
  /** A fresh desktop manager (web host + Manager) for this test. */
  app: DesktopApp;
  /** The browser tab showing `app`, loaded and past "Starting Cloud Connect…". */
  gui: Page;
}

/** A fixture the worker's tests share: started before the first of them, stopped after the last. */
function perWorker<T>(
  start: () => Promise<T>,
  stop: (value: T) => Promise<void>,
  timeout: number,
): [(args: object, use: (value: T) => Promise<void>) => Promise<void>, WorkerScope] {
  return [
    // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this destructuring; it has none.
    async ({}, use) => {
      const value = await start();
      await use(value);
      await stop(value);
    },
    { scope: 'worker', timeout },
  ];
}

interface WorkerScope {
  scope: 'worker';
  timeout: number;
}

/** Playwright's `test` with the GUI harness: every piece real, torn down after. */
export const test = base.extend<TestFixtures, WorkerFixtures>({
  keyring: perWorker(startGuiKeyring, (keyring) => keyring.stop(), 30_000),
  world: perWorker(startGuiWorld, (world) => world.close(), 60_000),
  app: async ({ world, keyring }, use) => {
    const app = await startDesktopApp(world, keyring);
    await use(app);
    await app.stop();
  },
  gui: async ({ page, app }, use) => {
    // Uncaught exceptions and console errors (a CSP violation, a failed load) fail the test.
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    await page.goto(app.url);
    await expect(page.getByText('Starting Cloud Connect…')).toBeHidden();
    await use(page);
    expect(problems, 'the page logged no errors').toEqual([]);
  },
});

export { expect };
