import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { _electron as electron, type ElectronApplication } from '@playwright/test';
import { findElectron } from '../../main/src/start/electronBinary.js';
import { REPO_ROOT } from '../harness/relayProcess.js';
import { expect, test } from './harness/fixtures.js';
import {
  createInstanceThroughGui,
  fillSignUpForm,
  mainNav,
  newCredentials,
  signIn,
} from './harness/userFlows.js';

/**
 * The same main flow in the real desktop app: Electron's main process, the sandboxed preload
 * and IPC instead of the web host's WebSocket. It needs the Electron binary, which the
 * `electron` package downloads at install time; where that was impossible it is skipped, and
 * says why.
 */
const binary = findElectron();
const skipReason =
  binary.path === null ? `no Electron binary on this machine (${binary.reason})` : '';
if (skipReason) console.warn(`Electron GUI test skipped: ${skipReason}`);

test.describe('The Electron app', () => {
  test.skip(binary.path === null, skipReason);

  let app: ElectronApplication | undefined;
  let home: string | undefined;

  test.afterEach(async () => {
    await app?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  /** Build main as `npm start` does and launch it on a fresh home; its window, signed out. */
  async function launchApp(relayUrl: string, busAddress: string) {
    // The main process runs from main/dist (and agent-core/dist).
    execFileSync('npx', ['tsc', '-b', 'main'], { cwd: REPO_ROOT, stdio: 'inherit' });
    home = await mkdtemp(path.join(tmpdir(), 'cc-gui-electron-'));
    app = await electron.launch({
      executablePath: binary.path!,
      args: [
        path.join(REPO_ROOT, 'main/dist/electron/main.js'),
        // Root in a container has no user namespace sandbox; the renderer stays context-isolated.
        '--no-sandbox',
      ],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: home,
        XDG_CONFIG_HOME: path.join(home, '.config'),
        DBUS_SESSION_BUS_ADDRESS: busAddress,
        CLOUD_CONNECT_DATA_DIR: path.join(home, 'data'),
        CLOUD_CONNECT_RELAY_URL: relayUrl,
        ELECTRON_DISABLE_SECURITY_WARNINGS: 'true',
      },
    });
    const page = await app.firstWindow();
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    return page;
  }

  test('denies every web permission but the clipboard write its copy buttons use', async ({
    world,
    keyring,
  }) => {
    const page = await launchApp(world.relay.url, keyring.busAddress);
    const answers = await page.evaluate(async () => {
      const state = async (name: string) =>
        (await navigator.permissions.query({ name } as unknown as PermissionDescriptor)).state;
      return {
        notifications: await Notification.requestPermission(),
        geolocation: await state('geolocation'),
        camera: await navigator.mediaDevices.getUserMedia({ video: true }).then(
          () => 'granted',
          (e: Error) => e.name,
        ),
        clipboardWrite: await navigator.clipboard.writeText('x').then(
          () => 'granted',
          (e: Error) => e.name,
        ),
      };
    });
    expect(answers).toEqual({
      notifications: 'denied',
      geolocation: 'denied',
      camera: 'NotAllowedError',
      clipboardWrite: 'granted',
    });
  });

  test('signs up, verifies, signs in, creates an instance whose token lands in the keychain, and signs out', async ({
    world,
    keyring,
  }) => {
    test.setTimeout(180_000);
    const page = await launchApp(world.relay.url, keyring.busAddress);

    const { email, password } = newCredentials('electron');
    world.relay.ledger.add(password);
    await page.getByRole('button', { name: 'Create an account' }).click();
    await fillSignUpForm(page, { name: 'Ellie Electron', email, password });
    await expect(page.getByRole('heading', { name: 'Verify your email' })).toBeVisible();

    const mail = (await world.relay.outbox()).find((m) => m.to === email);
    const link = /https?:\/\/\S+verify-email\?token=[\w-]+/.exec(mail?.text ?? '')?.[0];
    expect(link).toBeDefined();
    await page.getByRole('textbox', { name: 'Verification link or code' }).fill(link!);
    await page.getByRole('button', { name: 'Verify email' }).click();
    await expect(page.getByText('Email verified. Sign in to continue.')).toBeVisible();
    await signIn(page, email, password);

    const token = await createInstanceThroughGui(page, 'Desk', `desk${Date.now().toString(36)}`);
    world.relay.ledger.add(token);
    const session = await keyring.lookupWithSecretTool('cloud-connect', 'session');
    expect(session).toContain('refresh_token');

    await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click();
    await expect(mainNav(page)).toBeHidden();
    expect(await keyring.lookupWithSecretTool('cloud-connect', 'session')).toBeNull();
  });
});
