import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createManager } from '@cloud-connect/agent-core/manager';
import { openSettings } from '@cloud-connect/agent-core/settings';
import { app, session, type BrowserWindow } from 'electron';
import { composeDesktopApi } from '../host/composeDesktopApi.js';
import { desktopDataDir } from '../host/dataDir.js';
import { localRelayMail, localVerification } from '../host/localVerification.js';
import { electronHostApi } from './electronHostApi.js';
import { setupIpc } from './ipc.js';
import { createMainWindow } from './mainWindow.js';
import { setupPermissionHandlers } from './permissionPolicy.js';
import { setupNavigationGuards } from './security.js';
import { setupTray } from './tray.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Packaged: resources next to the app; from the repo: main/dist/electron → repo root. */
const root = app.isPackaged ? process.resourcesPath : path.resolve(here, '../../..');
const paths = {
  rendererIndex: path.join(
    root,
    app.isPackaged ? 'renderer/index.html' : 'renderer/dist/index.html',
  ),
  preload: path.join(here, 'preload.cjs'),
  assets: path.join(root, 'assets'),
};

let window: BrowserWindow | null = null;
let appUrl = '';
let quitting = false;

/**
 * Start up: one instance, the Manager, navigation and permission guards, IPC, tray, the window,
 * then auto-start of enabled tunnels.
 */
async function onReady(): Promise<void> {
  // The same dir as the web host's and the one `cloud-connect status` reads, packaged or not
  // (a dev run's userData would be named after main/package.json instead).
  const dataDir = desktopDataDir(process.env);
  const settings = await openSettings({ dataDir });
  const manager = await createManager({
    dataDir,
    settings,
    ...(process.env.CLOUD_CONNECT_RELAY_URL
      ? { relayUrl: process.env.CLOUD_CONNECT_RELAY_URL }
      : {}),
  });
  const local = localVerification(localRelayMail(process.env), manager);
  const api = composeDesktopApi(manager, electronHostApi(settings, local));
  setupNavigationGuards(() => appUrl);
  setupPermissionHandlers(session.defaultSession, () => appUrl);
  setupIpc(api, () => appUrl);

  const show = () => {
    if (!window || window.isDestroyed()) {
      const created = createMainWindow({
        rendererIndex: paths.rendererIndex,
        preload: paths.preload,
        icon: path.join(paths.assets, 'icon.png'),
        settings,
      });
      window = created.window;
      appUrl = created.url;
      window.on('close', (event) => {
        if (!quitting) {
          event.preventDefault();
          window?.hide();
        }
      });
    }
    window.show();
    window.focus();
  };
  setupTray(api, paths.assets, { open: show, quit: () => app.quit() });
  app.on('second-instance', show);
  app.on('activate', show);
  show();

  // On quit, every tunnel is stopped cleanly before the process exits.
  app.on('before-quit', (event) => {
    if (quitting) return;
    quitting = true;
    event.preventDefault();
    void manager.shutdown().finally(() => app.quit());
  });
  await manager.autoStart();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  // Tunnels keep running in the tray when the window closes.
  app.on('window-all-closed', () => undefined);
  app.whenReady().then(onReady, (e: unknown) => {
    console.error('Cloud Connect could not start', e);
    app.exit(1);
  });
}
