import type { WebContents } from 'electron';
import { describe, expect, it } from 'vitest';
import {
  GRANTED_PERMISSIONS,
  isPermissionGranted,
  setupPermissionHandlers,
  type PermissionSession,
} from './permissionPolicy.js';

const APP = 'file:///opt/Cloud%20Connect/resources/renderer/index.html';

/** Every permission Electron's handlers name (Electron 40's typings), requests and checks. */
const ELECTRON_PERMISSIONS = [
  'clipboard-read',
  'clipboard-sanitized-write',
  'deprecated-sync-clipboard-read',
  'display-capture',
  'fileSystem',
  'fullscreen',
  'geolocation',
  'hid',
  'idle-detection',
  'keyboardLock',
  'media',
  'mediaKeySystem',
  'midi',
  'midiSysex',
  'notifications',
  'openExternal',
  'pointerLock',
  'serial',
  'speaker-selection',
  'storage-access',
  'top-level-storage-access',
  'unknown',
  'usb',
  'window-management',
];

describe('isPermissionGranted', () => {
  it('grants the app page only the clipboard write its copy buttons use', () => {
    const granted = ELECTRON_PERMISSIONS.filter((p) => isPermissionGranted(p, APP, APP));
    expect(granted).toEqual(['clipboard-sanitized-write']);
    expect([...GRANTED_PERMISSIONS]).toEqual(granted);
  });

  it('grants nothing to another page, a remote origin or an unknown requester', () => {
    for (const url of [
      'file:///tmp/evil.html',
      'https://evil.example/',
      'http://127.0.0.1:5174/',
      '',
      undefined,
    ]) {
      expect(isPermissionGranted('clipboard-sanitized-write', url, APP)).toBe(false);
    }
  });

  it('ignores the fragment the renderer routes with', () => {
    expect(isPermissionGranted('clipboard-sanitized-write', `${APP}#/connections`, APP)).toBe(true);
  });
});

/** Records the handlers the way Electron's session keeps them, so they can be called. */
function recordingSession() {
  const handlers: {
    request?: Parameters<PermissionSession['setPermissionRequestHandler']>[0];
    check?: Parameters<PermissionSession['setPermissionCheckHandler']>[0];
    device?: Parameters<PermissionSession['setDevicePermissionHandler']>[0];
  } = {};
  const session: PermissionSession = {
    setPermissionRequestHandler: (h) => void (handlers.request = h),
    setPermissionCheckHandler: (h) => void (handlers.check = h),
    setDevicePermissionHandler: (h) => void (handlers.device = h),
  };
  return { session, handlers };
}

const contentsAt = (url: string) => ({ getURL: () => url }) as unknown as WebContents;

describe('setupPermissionHandlers', () => {
  it('installs a request, a check and a device handler that deny by default', async () => {
    const { session, handlers } = recordingSession();
    setupPermissionHandlers(session, () => APP);
    expect(handlers.request).toBeTypeOf('function');
    expect(handlers.check).toBeTypeOf('function');
    expect(handlers.device).toBeTypeOf('function');

    const ask = (
      permission: 'media' | 'notifications' | 'clipboard-sanitized-write',
      url: string,
    ) =>
      new Promise<boolean>((resolve) =>
        handlers.request!(contentsAt(url), permission, resolve, {
          isMainFrame: true,
          requestingUrl: url,
        }),
      );
    expect(await ask('media', APP)).toBe(false);
    expect(await ask('notifications', APP)).toBe(false);
    expect(await ask('clipboard-sanitized-write', APP)).toBe(true);
    expect(await ask('clipboard-sanitized-write', 'https://evil.example/')).toBe(false);

    expect(
      handlers.check!(contentsAt(APP), 'geolocation', 'file:///', {
        isMainFrame: true,
        requestingUrl: APP,
      }),
    ).toBe(false);
    expect(
      handlers.check!(contentsAt(APP), 'clipboard-sanitized-write', 'file:///', {
        isMainFrame: true,
        requestingUrl: APP,
      }),
    ).toBe(true);
    // A check with no web contents and no URL (a service worker, say) is denied.
    expect(handlers.check!(null, 'clipboard-sanitized-write', '', { isMainFrame: true })).toBe(
      false,
    );
    expect(handlers.device!({ deviceType: 'usb', origin: 'file://', device: {} as never })).toBe(
      false,
    );
  });
});
