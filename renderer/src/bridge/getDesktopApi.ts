import type { DesktopApi } from '@cloud-connect/agent-core/desktop';
import { forgetAccessToken, takeAccessToken } from './accessToken.js';
import type { BridgeConnection, BridgeState } from './bridgeState.js';
import { fixedConnection } from './bridgeState.js';
import { BRIDGE_PATH } from './protocolConstants.js';
import { unavailableDesktopApi } from './unavailableDesktopApi.js';
import { createWebSocketBridge } from './webSocketBridge.js';

declare global {
  interface Window {
    /** Set by Electron's preload through contextBridge; absent in a plain browser. */
    cloudConnect?: DesktopApi;
  }
}

/** The DesktopApi the renderer talks to, and the state of the link that carries it. */
export interface DesktopBridge {
  api: DesktopApi;
  connection: BridgeConnection;
}

function refused(reason: Extract<BridgeState, { status: 'unauthorized' }>['reason']) {
  return {
    api: unavailableDesktopApi(),
    connection: fixedConnection({ status: 'unauthorized', reason }),
  };
}

/**
 * Electron's preload object when there is one; otherwise the web host's WebSocket bridge on
 * the page's own origin, authorised by the token from the URL fragment or this tab's storage.
 */
export function getDesktopApi(win: Window = window): DesktopBridge {
  if (win.cloudConnect) {
    return { api: win.cloudConnect, connection: fixedConnection({ status: 'connected' }) };
  }
  if (win.location.protocol !== 'http:' && win.location.protocol !== 'https:') {
    return refused('no-host');
  }
  const token = takeAccessToken(win.location, win.history, win.sessionStorage);
  if (!token) return refused('missing-token');
  const scheme = win.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return createWebSocketBridge({
    url: `${scheme}//${win.location.host}${BRIDGE_PATH}`,
    token,
    onUnauthorized: () => forgetAccessToken(win.sessionStorage),
  });
}
