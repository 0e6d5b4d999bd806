import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { makeTunnelToken } from '@cloud-connect/agent-core/testing';
import { expect, test } from './harness/fixtures.js';
import { captureScreen } from './harness/screenshots.js';
import { card, fact, signedInAsNewUser, watchConnectionStates } from './harness/userFlows.js';

const HOSTNAME = 'files.example.com';

/** The connections in the app's settings file (ids, never tokens). */
async function savedConnections(dataDir: string): Promise<Array<{ id: string; name: string }>> {
  const raw = await readFile(path.join(dataDir, 'settings.json'), 'utf8');
  return (JSON.parse(raw) as { connections: Array<{ id: string; name: string }> }).connections;
}

async function cmdline(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test.describe('Cloudflare Tunnel connections', () => {
  test('Test connection reports the hostname and latency for a good token and cloudflared’s reason for a bad one', async ({
    gui: page,
    world,
  }) => {
    await signedInAsNewUser(page, world.relay, 'Connections');
    await expect(page.getByText('No connections yet.')).toBeVisible();
    await captureScreen(page, 'connections-empty');
    await page.getByRole('button', { name: 'Add connection' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Add connection');
    await expect(page.getByRole('radio', { name: 'Cloudflare Tunnel' })).toBeChecked();
    await page.getByRole('textbox', { name: 'Name' }).fill('Files');
    const tokenField = page.getByLabel('Tunnel token');
    const result = page.locator('.test-result');

    // Far too short to be a token: the field says so, nothing is started.
    await tokenField.fill('this-is-not-a-tunnel-token');
    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect(tokenField).toHaveAttribute('aria-invalid', 'true');
    await expect(tokenField).toHaveAccessibleDescription(
      /Must be the whole tunnel token \(it is long, starting with eyJ\)\./,
    );

    // Long enough but not a token: cloudflared refuses it before connecting.
    await tokenField.fill(`eyJ${'x'.repeat(80)}`);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect(result).toContainText('Test failed: This is not a valid tunnel token.');
    await expect(tokenField).not.toHaveAttribute('aria-invalid', 'true');
    await captureScreen(page, 'connection-form-invalid-token');

    // A well-formed token the edge refuses: Cloudflare's own reason is shown.
    await tokenField.fill(makeTunnelToken({ tunnelId: '00000000-0000-0000-0000-000000000000' }));
    await expect(result).toBeEmpty();
    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect(result).toContainText('Test failed: Cloudflare refused this token.');
    await expect(result).toContainText('Unauthorized: Failed to get tunnel');

    await tokenField.fill(makeTunnelToken());
    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect(result).toContainText(/Testing the connection…/);
    await expect(result).toHaveText(
      new RegExp(`Connection works: reached ${HOSTNAME} in \\d+ ms\\.`),
    );
    await captureScreen(page, 'connection-form-test-passed');
  });

  test('an enabled connection goes connecting → connected; a killed cloudflared shows the reconnect and comes back', async ({
    gui: page,
    world,
    app,
  }) => {
    await signedInAsNewUser(page, world.relay, 'Connections');
    await page.getByRole('button', { name: 'Add connection' }).click();
    await page.getByRole('radio', { name: 'Cloudflare Tunnel' }).check();
    await page.getByRole('textbox', { name: 'Name' }).fill('Files');
    const token = makeTunnelToken();
    world.relay.ledger.add(token);
    await page.getByLabel('Tunnel token').fill(token);
    // The target is picked from the Docker containers the Engine stand-in lists.
    await page.getByRole('combobox', { name: 'Container' }).selectOption('http://localhost:8080');
    const enable = page.getByRole('switch', { name: 'Enable on start-up' });
    await enable.uncheck();
    await enable.check();
    await expect(enable).toBeChecked();
    await captureScreen(page, 'connection-form-cloudflare');

    const states = await watchConnectionStates(page, 'Files');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const files = card(page, 'Files');
    await expect(files.locator('.state')).toHaveText('Connected');
    expect(await states()).toEqual(['Connecting…', 'Connected']);
    // Cloudflare serves HTTPS on the hostname: the address a browser opens, with copy and open.
    await expect(fact(files, 'Public address').locator('code')).toHaveText(`https://${HOSTNAME}`);
    await expect(
      fact(files, 'Public address').getByRole('button', { name: `Open https://${HOSTNAME}` }),
    ).toBeVisible();
    await expect(fact(files, 'Reconnects')).toHaveText('0');
    await expect(fact(files, 'Starts with the app')).toHaveText('yes');
    await expect(fact(files, 'Ready connections')).toHaveText('4');
    await captureScreen(page, 'connections-connected');

    // The token is in the keychain (not in the settings file, not in cloudflared's argv).
    const [saved] = await savedConnections(app.dataDir);
    expect(await app.keychainItemViaKeytar(`cloudflare-token:${saved!.id}`)).toBe(token);
    expect(await readFile(path.join(app.dataDir, 'settings.json'), 'utf8')).not.toContain(token);
    const pid = Number(await fact(files, 'Pid').textContent());
    expect(await cmdline(pid)).toMatch(/cloudflared.* tunnel .*run/);
    expect(await cmdline(pid)).not.toContain(token);

    // cloudflared crashes: the supervisor restarts it, and the card shows it happened.
    process.kill(pid, 'SIGKILL');
    await expect(fact(files, 'Reconnects')).toHaveText('1');
    await expect(files.locator('.state')).toHaveText('Connected');
    const newPid = Number(await fact(files, 'Pid').textContent());
    expect(newPid).not.toBe(pid);
    expect(alive(pid)).toBe(false);
    expect(alive(newPid)).toBe(true);
    const seen = await states();
    expect(seen[seen.length - 1]).toBe('Connected');
    // Between the crash and the restart the card left "Connected" (error or connecting).
    expect(seen.slice(2)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^(Connecting…|Error)$/)]),
    );
    test.info().annotations.push({ type: 'states', description: seen.join(' → ') });
    await captureScreen(page, 'connections-reconnected');

    // Disconnect stops the process.
    await files.getByRole('button', { name: 'Disconnect' }).click();
    await expect(files.locator('.state')).toHaveText('Disconnected');
    await expect.poll(() => alive(newPid)).toBe(false);
  });
});
