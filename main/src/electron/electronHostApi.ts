import type { AppInfo, HostApi } from '@cloud-connect/agent-core/desktop';
import type { SettingsStore } from '@cloud-connect/agent-core/settings';
import { app, shell } from 'electron';
import { isSafeExternalUrl } from '../host/externalUrl.js';
import type { LocalVerification } from '../host/localVerification.js';
import { APP_VERSION } from '../host/version.js';

/**
 * The Electron side of the DesktopApi: the system browser, the login item, and one-click
 * verification on the local relay `npm start` launched (`local`).
 */
export function electronHostApi(settings: SettingsStore, local: LocalVerification): HostApi {
  const info = (): AppInfo => ({
    version: APP_VERSION,
    host: 'electron',
    platform: process.platform,
    launchAtLogin: app.getLoginItemSettings().openAtLogin,
    localRelayUrl: local.relayUrl,
  });
  return {
    verifyEmailLocally: local.verifyEmailLocally,
    async openExternal(url) {
      if (!isSafeExternalUrl(url))
        return { ok: false, code: 'VALIDATION_ERROR', message: 'Only http(s) links can be opened' };
      await shell.openExternal(url);
      return { ok: true, value: { opened: true } };
    },
    async getAppInfo() {
      return { ok: true, value: info() };
    },
    async setLaunchAtLogin(enabled) {
      // Electron 45 has no openAsHidden any more (macOS ignored it since 13).
      app.setLoginItemSettings({ openAtLogin: enabled });
      await settings.updatePreferences({ launchAtLogin: enabled });
      return { ok: true, value: info() };
    },
  };
}
