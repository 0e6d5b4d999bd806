import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './e2e/gui/harness/chromium.js';

/**
 * The GUI suite (`npm run test:gui`): real Chromium against the web host with a real Manager,
 * relay-server, keyring and stand-ins. Specs are `e2e/gui/*.spec.ts` (vitest runs `*.test.ts`).
 * One worker: the machine is small, and the namespace test owns real network interfaces.
 */
export default defineConfig({
  testDir: 'e2e/gui',
  testMatch: '*.spec.ts',
  outputDir: 'test-results/gui',
  globalSetup: './e2e/gui/harness/globalSetup.ts',
  workers: 1,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    viewport: { width: 1180, height: 820 },
    colorScheme: 'light',
    actionTimeout: 15_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
