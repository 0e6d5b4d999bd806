import { expect, test } from './harness/fixtures.js';
import { captureScreen } from './harness/screenshots.js';
import { goTo, signedInAsNewUser } from './harness/userFlows.js';

test.describe('Screens, themes and the access link', () => {
  test('the theme chosen in Settings applies at once and is kept after a reload', async ({
    gui: page,
  }) => {
    const html = page.locator('html');
    await expect(html).toHaveAttribute('data-theme', 'light');
    await page.getByRole('button', { name: 'Change relay server' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Settings');
    await expect(page.getByRole('radio', { name: 'System' })).toBeChecked();
    await captureScreen(page, 'settings-signed-out');

    await page.getByRole('radio', { name: 'Dark' }).check();
    await expect(html).toHaveAttribute('data-theme', 'dark');
    await page.reload();
    await expect(html).toHaveAttribute('data-theme', 'dark');
    // An explicit choice wins over the system's scheme.
    await page.emulateMedia({ colorScheme: 'light' });
    await expect(html).toHaveAttribute('data-theme', 'dark');

    await page.getByRole('button', { name: 'Change relay server' }).click();
    await page.getByRole('radio', { name: 'Light' }).check();
    await expect(html).toHaveAttribute('data-theme', 'light');
    await page.getByRole('radio', { name: 'System' }).check();
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect(html).toHaveAttribute('data-theme', 'dark');
  });

  test('the signed-in screens without a flow of their own: logs and settings', async ({
    gui: page,
    world,
  }) => {
    const account = await signedInAsNewUser(page, world.relay);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Connections');
    await captureScreen(page, 'connections-signed-in');

    await goTo(page, 'Logs');
    await expect(page.getByRole('log', { name: 'Log entries' })).toContainText('Signed in');
    await captureScreen(page, 'logs');

    await goTo(page, 'Settings');
    await expect(page.getByText(`Signed in as ${account.email}`)).toBeVisible();
    await expect(page.getByRole('textbox', { name: 'Relay server URL' })).toHaveValue(
      world.relay.url,
    );
    await expect(page.getByText(/Cloud Connect .* · web host · linux/)).toBeVisible();
    await captureScreen(page, 'settings');
  });

  test('a page opened without the access link, or with an old one, says how to open the app', async ({
    page,
    app,
  }) => {
    const origin = new URL(app.url).origin;
    await page.goto(`${origin}/`);
    await expect(
      page.getByRole('heading', { name: 'Open Cloud Connect from its link' }),
    ).toBeVisible();
    await captureScreen(page, 'unreachable-no-link');

    // A fresh load each time (a change of fragment alone would not load the page again).
    await page.goto('about:blank');
    await page.goto(`${origin}/#token=not-the-right-token`);
    await expect(page.getByRole('heading', { name: 'This link has expired' })).toBeVisible();
    await captureScreen(page, 'unreachable-old-link');

    // The printed link works, and the token leaves the address bar.
    await page.goto('about:blank');
    await page.goto(app.url);
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    expect(page.url()).not.toContain('token=');
  });
});
