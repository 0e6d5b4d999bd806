import type { Unsubscribe } from '@cloud-connect/agent-core/desktop';

/**
 * How the renderer is linked to its host. Electron's preload is always `connected`; the web
 * host's socket goes through the others as it opens, drops and comes back.
 */
export type BridgeState =
  | { status: 'connecting'; attempt: number }
  | { status: 'connected' }
  /** The socket dropped; the next attempt starts at `retryAt` (ms since the epoch). */
  | { status: 'reconnecting'; attempt: number; retryAt: number }
  /** The host refused the access token (or there is none): only a fresh link helps. */
  | { status: 'unauthorized'; reason: 'missing-token' | 'rejected-token' | 'no-host' }
  | { status: 'closed' };

/** The link's state and the controls the UI offers over it. */
export interface BridgeConnection {
  getState(): BridgeState;
  onState(listener: (state: BridgeState) => void): Unsubscribe;
  /** Skip the backoff wait and try again now. */
  reconnectNow(): void;
  close(): void;
}

/**
 * A link whose state never changes: Electron's contextBridge (always connected) or a page with
 * no host to reach (unauthorized).
 */
export function fixedConnection(state: BridgeState): BridgeConnection {
  return {
    getState: () => state,
    onState: () => () => {},
    reconnectNow: () => {},
    close: () => {},
  };
}

/** Codes the bridge itself answers with when a call cannot reach the host (part of FailureCode). */
export type { BridgeErrorCode } from '@cloud-connect/agent-core/desktop';
