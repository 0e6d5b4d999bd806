import { expect, type Locator, type Page } from '@playwright/test';
import {
  createAccount,
  type TestAccount,
  type TestRelay,
} from '@cloud-connect/relay-server/testing';

/**
 * What a user does in the app, step by step, as clicks and typing on labelled controls. Tests
 * share these so each one reads as the behaviour it checks.
 */

let counter = 0;

/** A fresh email address and a password for a new account. */
export function newCredentials(prefix = 'gui'): { email: string; password: string } {
  counter += 1;
  return {
    email: `${prefix}${counter}-${Date.now()}@example.test`,
    password: `gui password ${counter} ${Math.random().toString(36).slice(2, 8)}`,
  };
}

/** The main navigation of a signed-in user. */
export function mainNav(page: Page): Locator {
  return page.getByRole('navigation', { name: 'Main' });
}

/** The screens the sidebar opens. */
export type Screen = 'Connections' | 'Instances' | 'Plans' | 'Logs' | 'Settings';

/** Click an entry of the main navigation. */
export async function goTo(page: Page, screen: Screen): Promise<void> {
  await mainNav(page).getByRole('button', { name: screen, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(screen);
}

/** Sign in on the sign-in screen and wait for the signed-in app. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(mainNav(page)).toBeVisible();
}

/** On the sign-up screen: fill in the form, accept the terms and the privacy policy, send it. */
export async function fillSignUpForm(
  page: Page,
  { name, email, password }: { name: string; email: string; password: string },
): Promise<void> {
  await page.getByRole('textbox', { name: 'Name' }).fill(name);
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Confirm password').fill(password);
  await page.getByRole('checkbox', { name: 'I accept the terms of service' }).check();
  await page.getByRole('checkbox', { name: 'I accept the privacy policy' }).check();
  await page.getByRole('button', { name: 'Create account' }).click();
}

/** A verified account made through the relay's API (the GUI sign-up has its own test). */
export async function verifiedAccount(relay: TestRelay): Promise<TestAccount> {
  const account = await createAccount(relay);
  relay.ledger.add(account.password);
  return account;
}

/** Sign in as a new verified account (and open `screen`); returns it. */
export async function signedInAsNewUser(
  page: Page,
  relay: TestRelay,
  screen?: Screen,
): Promise<TestAccount> {
  const account = await verifiedAccount(relay);
  await signIn(page, account.email, account.password);
  if (screen) await goTo(page, screen);
  return account;
}

/** One card (an `<article>` named by its heading) on the current screen. */
export function card(page: Page, name: string): Locator {
  return page.getByRole('article', { name, exact: true });
}

/** The value shown for `term` in a card's facts list (`<dt>term</dt><dd>value</dd>`). */
export function fact(scope: Locator, term: string): Locator {
  return scope
    .locator('dt', { hasText: new RegExp(`^${term}$`) })
    .locator('xpath=following-sibling::dd[1]');
}

/** Create an instance on the Instances screen; waits for the token panel. */
export async function createInstanceThroughGui(
  page: Page,
  name: string,
  subdomain: string,
): Promise<string> {
  await goTo(page, 'Instances');
  const form = page.getByRole('region', { name: 'New instance' });
  await form.getByRole('textbox', { name: 'Name' }).fill(name);
  await form.getByRole('textbox', { name: 'Subdomain' }).fill(subdomain);
  await expect(form.getByText(`${subdomain} is available`)).toBeVisible();
  await form.getByRole('button', { name: 'Create instance' }).click();
  const token = page.getByRole('textbox', { name: 'Instance token' });
  await expect(token).toBeVisible();
  return token.inputValue();
}

/**
 * Starts recording every state a connection card shows ("Connecting…", "Connected", …), in
 * order, from now on, including cards that appear later. Returns a reader for the sequence.
 * A MutationObserver in the page sees each render, so brief states are not missed.
 */
export async function watchConnectionStates(
  page: Page,
  name: string,
): Promise<() => Promise<string[]>> {
  await page.evaluate((cardName) => {
    const store = window as unknown as { ccStates?: Record<string, string[]> };
    const states: string[] = [];
    (store.ccStates ??= {})[cardName] = states;
    const read = () => {
      for (const article of document.querySelectorAll('article')) {
        if (article.querySelector('h2')?.textContent !== cardName) continue;
        const state = article.querySelector('.state')?.textContent?.trim();
        if (state && states[states.length - 1] !== state) states.push(state);
      }
    };
    new MutationObserver(read).observe(document.body, {
      subtree: true,
      childList: true,
      characterData: true,
    });
    read();
  }, name);
  return () =>
    page.evaluate(
      (cardName) =>
        (window as unknown as { ccStates: Record<string, string[]> }).ccStates[cardName] ?? [],
      name,
    );
}
