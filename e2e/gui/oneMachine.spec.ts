import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown } from 'node:fs/promises';
import path from 'node:path';
import { freePort } from '../harness/freePort.js';
import { LabProcess } from '../harness/labProcess.js';
import { REPO_ROOT, TSX_NODE_ARGS } from '../harness/relayProcess.js';
import { AS_NOBODY, NOBODY } from '../harness/streamLab.js';
import { Teardown } from '../harness/teardown.js';
import { expect, test } from './harness/fixtures.js';
import { captureScreen, SCREENS_DIR } from './harness/screenshots.js';
import {
  card,
  createInstanceThroughGui,
  fact,
  fillSignUpForm,
  newCredentials,
  signIn,
} from './harness/userFlows.js';

/**
 * README "Try it on one machine", clicked through as a new user would: an app on a local port,
 * `npm start` (here its launcher from source) run as an unprivileged user (nobody: no keychain,
 * no network interfaces), sign-up with the one-click verification the local relay allows,
 * an instance, a connection to the app on the default transport (Automatic, which falls back
 * to the stream transport), and the public `http://<subdomain>.localhost:<edge port>/`
 * opened in the same browser showing the app.
 */
/** A process on this machine (no namespace), run from the repo root, its output kept by line. */
function spawnLocal(
  label: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): LabProcess {
  const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new LabProcess('local', child, label);
}

test.describe('Try it on one machine', () => {
  const opened = new Teardown();
  let appPort: number;
  let webUrl: string;
  let edgePort: number;
  let launcher: LabProcess;

  test.beforeAll(async () => {
    test.setTimeout(120_000);
    // "Start any app": the e2e test app on a free loopback port.
    appPort = await freePort();
    const app = opened.add(
      spawnLocal('app', process.execPath, [...TSX_NODE_ARGS, 'e2e/harness/testApp.ts'], {
        ...process.env,
        APP_PORT: String(appPort),
        APP_NAME: 'one-machine',
      }),
    );
    await app.waitForLine((l) => l.startsWith('listening'));

    // `npm start` as nobody: its home, relay data and app data in a folder nobody owns; the
    // secrets file's key in the environment (nobody has no keychain), never in argv.
    const home = await opened.tempDir('cc-one-machine-');
    await chown(home, NOBODY, NOBODY);
    const [setpriv, ...asNobody] = AS_NOBODY as [string, ...string[]];
    launcher = spawnLocal(
      'npm start',
      setpriv,
      [...asNobody, process.execPath, ...TSX_NODE_ARGS, 'main/src/start/start.ts'],
      {
        PATH: process.env.PATH ?? '',
        HOME: home,
        RELAY_PORT: String(await freePort()),
        RELAY_DATA_DIR: path.join(home, 'relay'),
        CLOUD_CONNECT_DATA_DIR: path.join(home, 'desktop'),
        CLOUD_CONNECT_WEB_PORT: '0',
        CLOUD_CONNECT_SECRET_KEY: randomBytes(24).toString('base64url'),
      },
    );
    // Its SIGTERM handler stops the web host (and the tunnel), then the relay: give it time.
    opened.add({ stop: () => launcher.stop(30_000) });
    const edgeLine = await launcher.waitForLine((l) => l.startsWith('Edge: '), 60_000);
    edgePort = Number(/^Edge: http:\/\/<subdomain>\.localhost:(\d+)\/ /.exec(edgeLine)?.[1]);
    expect(edgePort, edgeLine).toBeGreaterThan(0);
    webUrl = (
      await launcher.waitForLine((l) => /^\s+http:\/\/127\.0\.0\.1:\d+\/#token=/.test(l), 60_000)
    ).trim();
  });

  test.afterAll(async () => {
    // The launcher stops the web host (and its tunnel) and then its relay.
    await opened.run();
    expect(launcher.running).toBe(false);
  });

  test('a new user signs up, verifies in one click, connects the app and opens its public address', async ({
    page,
  }) => {
    test.setTimeout(180_000);
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    await page.goto(webUrl);
    await expect(page.getByText('Starting Cloud Connect…')).toBeHidden();

    // Sign up in the app.
    const { email, password } = newCredentials('trial');
    await page.getByRole('button', { name: 'Create an account' }).click();
    await fillSignUpForm(page, { name: 'Trial User', email, password });
    await expect(page.getByRole('heading', { name: 'Verify your email' })).toBeVisible();
    await expect(page.getByText('Trying it on this machine?')).toBeVisible();
    await captureScreen(page, 'one-machine-verify-email');

    // One click instead of digging the link out of the relay's outbox.
    await page.getByRole('button', { name: 'Verify with the local relay’s mail' }).click();
    await expect(page.getByText('Email verified. Sign in to continue.')).toBeVisible();
    await signIn(page, email, password);

    // Create an instance.
    const subdomain = `trial-${randomBytes(3).toString('hex')}`;
    await createInstanceThroughGui(page, 'My app', subdomain);

    // Add a connection to the app, transport left at its default.
    await page.getByRole('button', { name: 'Connect this instance' }).click();
    await expect(page.getByRole('combobox', { name: 'Instance' })).toHaveValue(/^inst_/);
    await expect(
      page.getByRole('group', { name: 'Transport' }).getByRole('radio', { name: 'Automatic' }),
    ).toBeChecked();
    await page.getByRole('radio', { name: 'Address (URL)' }).check();
    await page.getByRole('textbox', { name: 'Target URL' }).fill(`http://localhost:${appPort}`);
    await captureScreen(page, 'one-machine-connection-form');
    await page.getByRole('button', { name: 'Save', exact: true }).click();

    // nobody cannot create a network interface: Automatic carries it over the stream transport.
    const connection = card(page, 'My app');
    await expect(connection.locator('.state')).toHaveText('Connected', { timeout: 60_000 });
    // The card says which path and why (the local relay runs without WireGuard).
    await expect(fact(connection, 'Transport')).toHaveText(/^via stream transport — .+/);
    const publicUrl = `http://${subdomain}.localhost:${edgePort}`;
    const address = fact(connection, 'Public address');
    await expect(address.locator('code')).toHaveText(publicUrl);
    await captureScreen(page, 'one-machine-connected');

    // Open the public address from the app, in the same browser.
    const [visitor] = await Promise.all([
      page.context().waitForEvent('page'),
      address.getByRole('button', { name: `Open ${publicUrl}` }).click(),
    ]);
    await visitor.waitForLoadState();
    expect(visitor.url()).toBe(`${publicUrl}/`);
    // The test app answers its own pages; /hello says who it is.
    await visitor.goto(`${publicUrl}/hello`);
    await expect(visitor.locator('body')).toHaveText('hello from one-machine');
    await visitor.screenshot({ path: path.join(SCREENS_DIR, 'one-machine-public-page.png') });
    expect(problems, 'the app logged no errors').toEqual([]);
  });
});
