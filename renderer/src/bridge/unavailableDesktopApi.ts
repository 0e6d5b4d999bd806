import type { DesktopApi } from '@cloud-connect/agent-core/desktop';
import { desktopApiFromCall } from './desktopApiFromCall.js';

/**
 * The DesktopApi of a page that has no host to talk to (no preload, no access token): every
 * call answers BRIDGE_UNAUTHORIZED so the UI can say how to open the app properly.
 */
export function unavailableDesktopApi(): DesktopApi {
  return desktopApiFromCall(
    () =>
      Promise.resolve({
        ok: false,
        code: 'BRIDGE_UNAUTHORIZED',
        message: 'Cloud Connect is not reachable from this page.',
      }),
    () => () => {},
  );
}
