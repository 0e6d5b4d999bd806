import { latestMailToken } from '@cloud-connect/relay-server/testing';
import { expect, test } from './harness/fixtures.js';
import { captureScreen } from './harness/screenshots.js';
import {
  fillSignUpForm,
  mainNav,
  newCredentials,
  signIn,
  signedInAsNewUser,
  verifiedAccount,
} from './harness/userFlows.js';

test.describe('Account: sign up, verify, sign in, sign out', () => {
  test('a new user signs up, pastes the mailed verification link, and signs in', async ({
    gui: page,
    world,
    app,
  }) => {
    const { email, password } = newCredentials('signup');
    world.relay.ledger.add(password);
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    await captureScreen(page, 'sign-in');

    await page.getByRole('button', { name: 'Create an account' }).click();
    await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
    await captureScreen(page, 'sign-up');
    await fillSignUpForm(page, { name: 'Gina Gui', email, password });

    await expect(page.getByRole('heading', { name: 'Verify your email' })).toBeVisible();
    await expect(page.getByText(`Check your mail. We sent a message to ${email}:`)).toBeVisible();
    await captureScreen(page, 'verify-email');

    // The mail is in the relay's outbox, as the user would find it in their inbox.
    const mail = (await world.relay.outbox()).find((m) => m.to === email);
    expect(mail, 'a verification mail was sent').toBeDefined();
    const link = /https?:\/\/\S+verify-email\?token=[\w-]+/.exec(mail!.text)?.[0];
    expect(link, 'the mail carries a verification link').toBeDefined();
    world.relay.ledger.add(await latestMailToken(world.relay.dataDir, email, 'verify-email'));
    await page.getByRole('textbox', { name: 'Verification link or code' }).fill(link!);
    await page.getByRole('button', { name: 'Verify email' }).click();

    await expect(page.getByText('Email verified. Sign in to continue.')).toBeVisible();
    expect(await app.keychainItem('session')).toBeNull();
    await signIn(page, email, password);
    await expect(page.getByText(email)).toBeVisible();
    // Signed in straight to the connections; no "verify your email" banner any more.
    await expect(page.getByRole('heading', { level: 1, name: 'Connections' })).toBeVisible();
    await expect(page.getByText('to create instances.')).toBeHidden();
    const session = JSON.parse((await app.keychainItemViaKeytar('session')) ?? 'null') as {
      refresh_token?: string;
    } | null;
    expect(session?.refresh_token).toMatch(/^eyJ/);
  });

  test('a wrong password is named at the password field and nothing is stored', async ({
    gui: page,
    world,
    app,
  }) => {
    const account = await verifiedAccount(world.relay);
    await page.getByRole('textbox', { name: 'Email' }).fill(account.email);
    const passwordField = page.getByLabel('Password', { exact: true });
    await passwordField.fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();

    await expect(passwordField).toHaveAttribute('aria-invalid', 'true');
    await expect(passwordField).toHaveAccessibleDescription('Email or password is incorrect.');
    await expect(page.getByRole('alert')).toHaveText(
      'That email and password do not match. Check them and try again.',
    );
    await captureScreen(page, 'sign-in-wrong-password');
    await expect(mainNav(page)).toBeHidden();
    expect(await app.keychainItem('session')).toBeNull();

    // The right password then works from the same form.
    await passwordField.fill(account.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(mainNav(page)).toBeVisible();
  });

  test('signing up again with a registered email looks like any sign-up, and the owner gets the mail', async ({
    gui: page,
    world,
  }) => {
    const account = await verifiedAccount(world.relay);
    const before = (await world.relay.outbox()).length;
    await page.getByRole('button', { name: 'Create an account' }).click();
    await fillSignUpForm(page, {
      name: 'Second Try',
      email: account.email,
      password: 'another password 123',
    });

    // The same screen and words as a new sign-up: the app cannot tell, and says so to nobody.
    await expect(page.getByRole('heading', { name: 'Verify your email' })).toBeVisible();
    await expect(
      page.getByText(`Check your mail. We sent a message to ${account.email}:`),
    ).toBeVisible();
    await captureScreen(page, 'sign-up-email-taken');
    const mails = (await world.relay.outbox()).slice(before);
    expect(mails.map((m) => [m.to, m.subject])).toEqual([
      [account.email, 'Someone tried to sign up with your Cloud Connect address'],
    ]);
    expect(mails[0]!.text).toMatch(/reset-password\?token=/);
  });

  test('signing out removes the session tokens from the keychain', async ({
    gui: page,
    world,
    app,
  }) => {
    await signedInAsNewUser(page, world.relay);
    const stored = await app.keychainItem('session');
    expect(stored).toContain('refresh_token');

    await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    await expect(mainNav(page)).toBeHidden();
    expect(await app.keychainItem('session')).toBeNull();
    expect(await app.keychainItemViaKeytar('session')).toBeNull();
  });
  test('a forgotten password is reset with the mailed link, and only the new one signs in', async ({
    gui: page,
    world,
  }) => {
    const account = await verifiedAccount(world.relay);
    await page.getByRole('button', { name: 'Forgot password?' }).click();
    await expect(page.getByRole('heading', { name: 'Forgot your password?' })).toBeVisible();
    await captureScreen(page, 'forgot-password');
    await page.getByRole('textbox', { name: 'Email' }).fill(account.email);
    await page.getByRole('button', { name: 'Send reset link' }).click();

    await expect(page.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
    await expect(page.getByText('a reset link is on its way')).toBeVisible();
    await captureScreen(page, 'reset-password');
    const mail = (await world.relay.outbox()).filter((m) => m.to === account.email).pop();
    const link = /https?:\/\/\S+reset-password\?token=[\w-]+/.exec(mail?.text ?? '')?.[0];
    expect(link, 'the mail carries a reset link').toBeDefined();
    world.relay.ledger.add(
      await latestMailToken(world.relay.dataDir, account.email, 'reset-password'),
    );
    const newPassword = `${account.password} renewed`;
    world.relay.ledger.add(newPassword);
    await page.getByRole('textbox', { name: 'Reset link or code' }).fill(link!);
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirm new password').fill(newPassword);
    await page.getByRole('button', { name: 'Reset password' }).click();

    await expect(page.getByText('Password changed. Sign in with your new password.')).toBeVisible();
    await page.getByRole('textbox', { name: 'Email' }).fill(account.email);
    await page.getByLabel('Password', { exact: true }).fill(account.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(page.getByLabel('Password', { exact: true })).toHaveAttribute(
      'aria-invalid',
      'true',
    );
    await signIn(page, account.email, newPassword);
  });
});
