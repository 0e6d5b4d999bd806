import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { CreateManagerOptions } from '@cloud-connect/agent-core/manager';
import {
  cloudflaredStandInPath,
  standInEnv,
  type TestKeyring,
} from '@cloud-connect/agent-core/testing';
import { runWebHost } from '../../../main/src/webhost/runWebHost.js';
import type { GuiWorld } from './guiWorld.js';

/**
 * The desktop manager as a GUI test sees it: the web host (the same DesktopApi the Electron
 * preload exposes, over a WebSocket) on a real Manager with a fresh data dir, keeping its
 * secrets in the test keyring under a keychain service of its own, its cloudflared being the
 * stand-in and its Docker the Engine stand-in.
 */
export interface DesktopApp {
  /** The URL to open, with the access token in the fragment. */
  url: string;
  dataDir: string;
  /** Keychain service this app's secrets live under. */
  secretService: string;
  /** URLs the app asked the host to open in the system browser. */
  openedExternally: string[];
  /** Reads one of this app's keychain items back with libsecret's `secret-tool`. */
  keychainItem(account: string): Promise<string | null>;
  /** Reads it back with keytar, in a separate Node process. */
  keychainItemViaKeytar(account: string): Promise<string | null>;
  stop(): Promise<void>;
}

/** Supervisor timings for tests (production: 30 s health checks, 1 s → 60 s backoff). */
export const TEST_SUPERVISOR: NonNullable<CreateManagerOptions['supervisor']> = {
  healthCheckIntervalMs: 500,
  backoff: { initialMs: 200, capMs: 1000 },
};

export async function startDesktopApp(
  world: Pick<GuiWorld, 'relay' | 'docker' | 'scenarioPath' | 'dir'>,
  keyring: TestKeyring,
  manager: Partial<CreateManagerOptions> = {},
): Promise<DesktopApp> {
  const dataDir = await mkdtemp(path.join(world.dir, 'app-'));
  const secretService = `cloud-connect-gui-${randomBytes(4).toString('hex')}`;
  const openedExternally: string[] = [];
  const running = await runWebHost({
    // No CLOUD_CONNECT_SECRET_KEY: the Manager picks the keychain, as on a desktop.
    env: {
      PATH: process.env.PATH,
      HOME: keyring.env.HOME,
      CLOUD_CONNECT_DATA_DIR: dataDir,
      CLOUD_CONNECT_RELAY_URL: world.relay.url,
    },
    port: 0,
    onOpenExternal: (url) => openedExternally.push(url),
    manager: {
      dataDir,
      secretBackend: 'keychain',
      secretService,
      cloudflaredPath: cloudflaredStandInPath(),
      cloudflaredEnv: standInEnv(world.scenarioPath),
      dockerSocket: world.docker.socketPath,
      supervisor: TEST_SUPERVISOR,
      testTimeoutMs: 10_000,
      ...manager,
    },
  });
  return {
    url: running.url,
    dataDir,
    secretService,
    openedExternally,
    keychainItem: (account) => keyring.lookupWithSecretTool(secretService, account),
    keychainItemViaKeytar: (account) => keyring.readWithKeytarProcess(secretService, account),
    async stop() {
      await running.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
