import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LabRelay, TSX_NODE_ARGS, wireguardGoEnv } from '../harness/labRelay.js';
import { startTestApp } from '../harness/labTunnel.js';
import { NetLab, netlabAvailable, type LabProcess } from '../harness/netlab.js';
import { REPO_ROOT } from '../harness/relayProcess.js';
import { expect, test } from './harness/fixtures.js';
import { captureScreen } from './harness/screenshots.js';
import {
  card,
  createInstanceThroughGui,
  fact,
  goTo,
  newCredentials,
  signIn,
  watchConnectionStates,
} from './harness/userFlows.js';

/**
 * The WireGuard data path driven from the GUI: the relay-server with a wireguard-go server in
 * the lab's "cloud" namespace; the desktop manager (web host + Manager, whose driver runs its
 * own wireguard-go) and the user's app in "home". Chromium stays in the root namespace and
 * reaches the web host over the lab bridge.
 */

const available = netlabAvailable();
if (!available.ok && process.env.CC_SKIP_NETNS !== '1') {
  throw new Error(
    `the WireGuard GUI test needs root, ip netns and /dev/net/tun (${available.reason}); set CC_SKIP_NETNS=1 to skip it`,
  );
}

test.describe('WireGuard connection between namespaces', () => {
  test.skip(!available.ok, `namespaces unavailable: ${available.reason}`);

  let lab: NetLab;
  let relay: LabRelay;
  let webHost: LabProcess;
  let url: string;
  let dataDir: string;

  test.beforeAll(async ({ keyring }) => {
    test.setTimeout(120_000);
    lab = await NetLab.create({ tag: 'hJ', hosts: ['cloud', 'home'] });
    relay = await LabRelay.start(lab, 'cloud', {
      env: { ...wireguardGoEnv(lab, 'cloud'), TUNNEL_CIDR: '10.100.0.0/16' },
    });
    await startTestApp(lab, 'home', 'home-gui');
    dataDir = await mkdtemp(path.join(tmpdir(), 'cc-gui-wg-'));
    webHost = lab.spawn(
      'home',
      process.execPath,
      [...TSX_NODE_ARGS, 'e2e/gui/harness/webHostProcess.ts'],
      {
        cwd: REPO_ROOT,
        label: 'home:webhost',
        env: {
          DBUS_SESSION_BUS_ADDRESS: keyring.busAddress,
          HOME: keyring.env.HOME,
          CC_GUI_WEB_HOST: JSON.stringify({
            host: lab.ip('home'),
            relayUrl: relay.url,
            dataDir,
            secretService: `cloud-connect-gui-wg-${randomBytes(4).toString('hex')}`,
            interfacePrefix: `${lab.prefix}h`,
          }),
        },
      },
    );
    url = (
      await webHost.waitForJson<{ event: string; url: string }>(
        (l) => l.event === 'listening',
        60_000,
      )
    ).url;
  });

  test.afterAll(async () => {
    // The web host stops its tunnel (and wireguard-go) before the namespaces go.
    await webHost?.stop(15_000);
    await lab?.close();
    await relay?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  test('a WireGuard connection made in the GUI shows connected, and a request from the cloud reaches the app through the tunnel', async ({
    page,
  }) => {
    test.setTimeout(120_000);
    // A verified account (its sign-up through the GUI has its own test).
    const { email, password } = newCredentials('wg');
    await relay.verifiedUser('Wendy Wire', email, password);

    await page.goto(url);
    await signIn(page, email, password);
    const subdomain = `home-${lab.prefix.toLowerCase()}`;
    const token = await createInstanceThroughGui(page, 'Home app', subdomain);
    relay.ledger.add(token);

    await page.getByRole('button', { name: 'Connect this instance' }).click();
    await expect(page.getByRole('radio', { name: 'My Cloud Connect instance' })).toBeChecked();
    await expect(page.getByRole('combobox', { name: 'Instance' })).toHaveValue(/^inst_/);
    await expect(page.getByRole('textbox', { name: 'Name' })).toHaveValue('Home app');
    await expect(page.getByText(/Docker is not available/)).toBeVisible();
    await page.getByRole('textbox', { name: 'Target URL' }).fill('http://localhost:8080');
    await expect(page.getByRole('switch', { name: 'Enable on start-up' })).toBeChecked();
    // This suite is about the WireGuard data path: chosen, not left to Automatic.
    await expect(page.getByRole('radio', { name: 'Automatic' })).toBeChecked();
    await page.getByRole('radio', { name: 'WireGuard', exact: true }).check();
    await captureScreen(page, 'connection-form-wireguard');

    const states = await watchConnectionStates(page, 'Home app');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const home = card(page, 'Home app');
    await expect(home.locator('.state')).toHaveText('Connected', { timeout: 60_000 });
    expect(await states()).toEqual(['Connecting…', 'Connected']);
    // The address a browser opens (scheme and port from the relay's edge), with copy and open.
    const address = fact(home, 'Public address');
    const publicUrl = (await address.locator('code').textContent())!.trim();
    expect(publicUrl).toMatch(new RegExp(`^http://${subdomain}\\.cloud\\.test(:\\d+)?$`));
    await expect(address.getByRole('button', { name: 'Copy address' })).toBeVisible();
    await expect(address.getByRole('button', { name: `Open ${publicUrl}` })).toBeVisible();
    const cardState = (await home.locator('.state').textContent())!.trim();
    const cardNote = await home.locator('.status-note').allTextContents();
    await expect(fact(home, 'Transport')).toHaveText('via WireGuard');
    const tunnelIp = (await fact(home, 'Tunnel ip').textContent())!.trim();
    expect(tunnelIp).toMatch(/^10\.100\.\d+\.\d+$/);
    await captureScreen(page, 'connections-wireguard-connected');

    // From the cloud side, through the tunnel and the agent's forwarder, to the app at home.
    const res = await lab.exec('cloud', 'curl', [
      '-sS',
      '-m',
      '5',
      `http://${tunnelIp}:8080/hello`,
    ]);
    expect(res.stdout).toBe('hello from home-gui');

    // The relay sees the instance connected too (a fresh handshake and heartbeats).
    // ...in the same words as the connection card, with the same address.
    await goTo(page, 'Instances');
    const instanceCard = card(page, 'Home app');
    await expect(instanceCard.locator('.state')).toHaveText('Connected');
    expect(cardState).toBe('Connected');
    expect(await instanceCard.locator('.status-note').allTextContents()).toEqual(cardNote);
    const instanceAddress = fact(instanceCard, 'Public address');
    await expect(instanceAddress.locator('code')).toHaveText(publicUrl);
    await expect(instanceAddress.getByRole('button', { name: 'Copy address' })).toBeVisible();
    await expect(instanceAddress.getByRole('button', { name: `Open ${publicUrl}` })).toBeVisible();
    await captureScreen(page, 'instances-connected');
  });
});
