import { createInstance, setPlan } from '@cloud-connect/relay-server/testing';
import { generateKeyPair } from '@cloud-connect/agent-core/wireguard';
import { expect, test } from './harness/fixtures.js';
import { captureScreen } from './harness/screenshots.js';
import {
  card,
  fact,
  createInstanceThroughGui,
  goTo,
  signIn,
  signedInAsNewUser,
  verifiedAccount,
} from './harness/userFlows.js';

/** A subdomain no other test uses. */
const unique = (prefix: string) =>
  `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

interface InstanceItem {
  id: string;
  subdomain: string;
}

test.describe('Instances: create with a live subdomain check, token shown once', () => {
  test('a taken subdomain offers suggestions; picking one creates the instance, its token shown once and kept in the keychain', async ({
    gui: page,
    world,
    app,
  }) => {
    // Someone else already has the name.
    const other = await verifiedAccount(world.relay);
    const taken = unique('photos');
    await createInstance(world.relay, other, taken);

    const account = await signedInAsNewUser(page, world.relay, 'Instances');
    await expect(page.getByText('No instances yet.')).toBeVisible();
    await captureScreen(page, 'instances-empty');
    const form = page.getByRole('region', { name: 'New instance' });
    await form.getByRole('textbox', { name: 'Name' }).fill('Photos');
    const subdomainField = form.getByRole('textbox', { name: 'Subdomain' });
    await subdomainField.fill(taken);
    await expect(form.getByText(`${taken} is taken. Available instead:`)).toBeVisible();
    const suggestions = form
      .getByRole('list', { name: 'Suggested subdomains' })
      .getByRole('button');
    await expect(suggestions.first()).toBeVisible();
    await captureScreen(page, 'instances-subdomain-taken');

    const pick = (await suggestions.first().textContent())!.trim();
    expect(pick).not.toBe(taken);
    await suggestions.first().click();
    await expect(subdomainField).toHaveValue(pick);
    await expect(form.getByText(`${pick} is available`)).toBeVisible();
    await form.getByRole('button', { name: 'Create instance' }).click();

    await expect(page.getByRole('heading', { name: 'Photos is ready' })).toBeVisible();
    const tokenField = page.getByRole('textbox', { name: 'Instance token' });
    const token = await tokenField.inputValue();
    world.relay.ledger.add(token);
    expect(token.length).toBeGreaterThan(20);
    await captureScreen(page, 'instances-token-shown-once');

    // Copy puts exactly the token on the clipboard.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByRole('button', { name: 'Copy instance token' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);

    // The relay has the instance under the picked name; the keychain has its token.
    const list = await world.relay.api.get<{ instances: InstanceItem[] }>('/instances', {
      token: account.accessToken,
    });
    const created = list.body.instances.find((i) => i.subdomain === pick);
    expect(created).toBeDefined();
    expect(await app.keychainItemViaKeytar(`instance-token:${created!.id}`)).toBe(token);
    expect(await app.keychainItem(`instance-token:${created!.id}`)).toBe(token);

    // Once dismissed, the token is never shown again: not on a revisit, not after a reload.
    await page.getByRole('button', { name: 'Done' }).click();
    await expect(tokenField).toBeHidden();
    await expect(card(page, 'Photos')).toContainText(pick);
    // The card shows the instance id (the CLI's --instance) with a button that copies it.
    await expect(card(page, 'Photos')).toContainText(created!.id);
    await card(page, 'Photos').getByRole('button', { name: 'Copy the id of Photos' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(created!.id);
    await goTo(page, 'Connections');
    await goTo(page, 'Instances');
    await expect(card(page, 'Photos')).toBeVisible();
    await expect(page.getByRole('textbox', { name: 'Instance token' })).toHaveCount(0);
    await page.reload();
    await goTo(page, 'Instances');
    await expect(card(page, 'Photos')).toBeVisible();
    await expect(page.getByRole('textbox', { name: 'Instance token' })).toHaveCount(0);
    await expect(page.getByText(token)).toHaveCount(0);
    await captureScreen(page, 'instances');
  });

  test('an invalid subdomain says why and nothing is created', async ({ gui: page, world }) => {
    const account = await signedInAsNewUser(page, world.relay, 'Instances');
    const form = page.getByRole('region', { name: 'New instance' });
    await form.getByRole('textbox', { name: 'Name' }).fill('Bad name');
    const subdomainField = form.getByRole('textbox', { name: 'Subdomain' });

    await subdomainField.fill('ab');
    await expect(form.getByText('Use at least 3 characters.')).toBeVisible();
    await subdomainField.fill('-photos');
    const why = 'Use only letters a–z, digits and hyphens, and do not start or end with a hyphen.';
    await expect(form.getByRole('status').getByText(why)).toBeVisible();
    await form.getByRole('button', { name: 'Create instance' }).click();
    await expect(subdomainField).toHaveAttribute('aria-invalid', 'true');
    await expect(subdomainField).toHaveAccessibleDescription(new RegExp(why));
    await captureScreen(page, 'instances-invalid-subdomain');

    // A reserved word passes the local check; the relay says why it cannot be used.
    await subdomainField.fill('admin');
    await expect(form.getByText('admin is a reserved word. Choose another name.')).toBeVisible();

    const list = await world.relay.api.get<{ instances: InstanceItem[] }>('/instances', {
      token: account.accessToken,
    });
    expect(list.body.instances).toEqual([]);
    await expect(page.getByText('No instances yet.')).toBeVisible();
  });
});

test.describe('Connecting an instance: the transport', () => {
  test('the form offers Automatic, WireGuard and Stream over HTTPS, each saying what it needs; the choice is saved, shown on the card and kept for an edit', async ({
    gui: page,
    world,
  }) => {
    await signedInAsNewUser(page, world.relay);
    const token = await createInstanceThroughGui(page, 'Notes', unique('notes'));
    world.relay.ledger.add(token);
    await page.getByRole('button', { name: 'Connect this instance' }).click();

    await expect(page.getByRole('radio', { name: 'My Cloud Connect instance' })).toBeChecked();
    const transport = page.getByRole('group', { name: 'Transport' });
    const choice = (name: string) => transport.getByRole('radio', { name, exact: true });
    await expect(transport.getByRole('radio')).toHaveCount(3);
    await expect(choice('Automatic')).toBeChecked();
    await expect(choice('Automatic')).toHaveAccessibleDescription(
      'WireGuard when this computer allows it, else the stream transport.',
    );
    await expect(choice('WireGuard')).toHaveAccessibleDescription(
      'Fastest; needs administrator rights and open UDP.',
    );
    await expect(choice('Stream over HTTPS')).toHaveAccessibleDescription(
      'Works anywhere HTTPS does, no administrator rights.',
    );
    // This world's Docker stand-in offers a container; the address is typed instead.
    await page.getByRole('radio', { name: 'Address (URL)' }).check();
    await page.getByRole('textbox', { name: 'Target URL' }).fill('http://127.0.0.1:9');
    await captureScreen(page, 'connection-form-relay');

    // Saved without starting: the card names the choice until a tunnel runs.
    await choice('Stream over HTTPS').check();
    await page.getByRole('switch', { name: 'Enable on start-up' }).uncheck();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const notes = card(page, 'Notes');
    await expect(fact(notes, 'Transport')).toHaveText('Stream over HTTPS');

    await notes.getByRole('button', { name: 'Edit' }).click();
    await expect(choice('Stream over HTTPS')).toBeChecked();
    await choice('Automatic').check();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(fact(card(page, 'Notes'), 'Transport')).toHaveText('Automatic');
  });
});

test.describe('Instance status and address', () => {
  test('an agent running elsewhere, on a relay without WireGuard: Connected, why the data path is unchecked, and the address with copy and open', async ({
    gui: page,
    world,
  }) => {
    const account = await signedInAsNewUser(page, world.relay);
    const sub = unique('elsewhere');
    const { credentials } = await createInstance(world.relay, account, sub, 'Elsewhere');
    const agent = { token: credentials.instance_token };
    world.relay.ledger.add(agent.token);
    // The agent (e.g. `cloud-connect connect` in a container) registers and heartbeats.
    const key = generateKeyPair().publicKey;
    expect(
      (await world.relay.api.post('/tunnel/register', { public_key: key }, agent)).status,
    ).toBe(200);
    expect((await world.relay.api.post('/tunnel/heartbeat', {}, agent)).status).toBe(200);

    await goTo(page, 'Instances');
    const elsewhere = card(page, 'Elsewhere');
    await expect(elsewhere.locator('.state')).toHaveText('Connected');
    await expect(elsewhere.locator('.status-note')).toHaveText(
      'data path not checked by this relay (it runs without WireGuard)',
    );
    // This relay runs no edge of its own (EDGE_MODE=off): another edge serves HTTPS on 443.
    const address = fact(elsewhere, 'Public address');
    const url = `https://${sub}.cloud.test`;
    await expect(address.locator('code')).toHaveText(url);
    await expect(address.getByRole('button', { name: `Open ${url}` })).toBeVisible();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await address.getByRole('button', { name: 'Copy address' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);
    await captureScreen(page, 'instances-connected-unchecked');
  });
});

test.describe('Custom domains', () => {
  test('adding a domain shows the CNAME to create; once DNS has it, Verify marks it verified', async ({
    gui: page,
    world,
  }) => {
    const account = await verifiedAccount(world.relay);
    await setPlan(world.relay, account, 'pro');
    await signIn(page, account.email, account.password);
    const subdomain = unique('share');
    await createInstanceThroughGui(page, 'Share', subdomain);
    await page.getByRole('button', { name: 'Done' }).click();

    await card(page, 'Share').getByRole('button', { name: 'Custom domains' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Custom domains for Share');
    const domain = `${unique('files')}.example.org`;
    await page.getByRole('textbox', { name: 'Domain' }).fill(domain);
    await page.getByRole('button', { name: 'Add domain' }).click();

    const domainCard = card(page, domain);
    const domainState = domainCard.locator('.state');
    await expect(domainState).toHaveText(/Pending verification/);
    const record = domainCard.getByRole('table', { name: `DNS record for ${domain}` });
    const cells = record.getByRole('row').nth(1).getByRole('cell');
    await expect(cells.nth(0)).toHaveText('CNAME');
    const name = (await cells.nth(1).locator('code').textContent())!.trim();
    const value = (await cells.nth(2).locator('code').textContent())!.trim();
    // As DNS providers show it: the name relative to the user's zone (example.org).
    expect(`${name}.example.org`).toBe(domain);
    // The target names the instance, so a changed subdomain never breaks the record.
    expect(value).toMatch(/^inst_[a-z0-9]+\.tunnel\.cloud\.test$/);
    await expect(domainCard.getByRole('button', { name: 'Copy name' })).toBeVisible();
    await expect(domainCard.getByRole('button', { name: 'Copy value' })).toBeVisible();
    await captureScreen(page, 'domains-pending');

    // Verify before the record exists: the reason is shown and it stays pending.
    const asked = world.dns.queries.length;
    await domainCard.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => world.dns.queries.length).toBeGreaterThan(asked);
    await expect(fact(domainCard, 'Last check')).toHaveText('CNAME record not found');
    await expect(domainState).toHaveText(/Pending verification/);
    await captureScreen(page, 'domains-not-found-yet');

    // The user adds the record at their DNS provider: the test DNS server now answers it.
    world.dns.set(`${name}.example.org`, 'CNAME', value);
    await domainCard.getByRole('button', { name: 'Verify' }).click();
    await expect(domainState).toHaveText(/Verified/);
    await expect(domainCard.getByRole('button', { name: 'Verify' })).toBeHidden();
    expect(world.dns.queries.some((q) => q.name.toLowerCase() === domain)).toBe(true);
    await captureScreen(page, 'domains-verified');

    await page.getByRole('button', { name: '← Back to instances' }).click();
    await expect(card(page, 'Share')).toContainText(domain);
  });
});
