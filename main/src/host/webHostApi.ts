import type { AppInfo, HostApi } from '@cloud-connect/agent-core/desktop';
import { isSafeExternalUrl } from './externalUrl.js';
import { NO_LOCAL_VERIFICATION, type LocalVerification } from './localVerification.js';

/**
 * The web host's side of the DesktopApi. A browser tab cannot be sent to "the system browser"
 * by a server, so openExternal answers `opened: false` and the renderer opens the tab itself;
 * launching at login is for the desktop app only. `local` is one-click verification on the
 * local relay `npm start` launched (refused without one).
 */
export function webHostApi(
  version: string,
  onOpen?: (url: string) => void,
  local: LocalVerification = NO_LOCAL_VERIFICATION,
): HostApi {
  const info: AppInfo = {
    version,
    host: 'web',
    platform: process.platform,
    launchAtLogin: null,
    localRelayUrl: local.relayUrl,
  };
  return {
    verifyEmailLocally: local.verifyEmailLocally,
    async openExternal(url) {
      if (!isSafeExternalUrl(url))
        return { ok: false, code: 'VALIDATION_ERROR', message: 'Only http(s) links can be opened' };
      onOpen?.(url);
      return { ok: true, value: { opened: false } };
    },
    async getAppInfo() {
      return { ok: true, value: info };
    },
    async setLaunchAtLogin() {
      return {
        ok: false,
        code: 'NOT_SUPPORTED',
        message: 'Launch at login is available in the desktop app only',
      };
    },
  };
}
