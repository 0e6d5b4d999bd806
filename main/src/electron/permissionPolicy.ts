import type { Session } from 'electron';

/**
 * The only web permission the window uses: writing text to the clipboard (the copy buttons).
 * Everything else a page can ask for — camera, microphone, location, notifications, MIDI,
 * HID/USB/serial devices, screen capture, opening other apps through external protocols — is
 * denied, so a script that ever ran in the window could not reach past it (Electron grants
 * most requests when a session has no handler: electronegativity's
 * PERMISSION_REQUEST_HANDLER_GLOBAL_CHECK).
 */
export const GRANTED_PERMISSIONS: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

const withoutFragment = (url: string) => url.split('#')[0];

/** Whether `permission`, asked for by the page at `requestingUrl`, is granted. */
export function isPermissionGranted(
  permission: string,
  requestingUrl: string | undefined,
  appUrl: string,
): boolean {
  if (!GRANTED_PERMISSIONS.has(permission) || !requestingUrl || !appUrl) return false;
  // Only the app's own page: a frame or window on any other URL gets nothing.
  return withoutFragment(requestingUrl) === withoutFragment(appUrl);
}

export type PermissionSession = Pick<
  Session,
  'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler'
>;

/**
 * Deny by default on the session the window uses: permission requests and checks go through
 * `isPermissionGranted`, and device access (HID, USB, serial) is refused outright.
 */
export function setupPermissionHandlers(session: PermissionSession, appUrl: () => string): void {
  session.setPermissionRequestHandler((webContents, permission, callback, details) => {
    callback(
      isPermissionGranted(permission, details.requestingUrl || webContents.getURL(), appUrl()),
    );
  });
  session.setPermissionCheckHandler((webContents, permission, _origin, details) =>
    isPermissionGranted(permission, details.requestingUrl ?? webContents?.getURL(), appUrl()),
  );
  session.setDevicePermissionHandler(() => false);
}
