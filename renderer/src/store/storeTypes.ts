import type { DesktopApi } from '@cloud-connect/agent-core/desktop';
import type { StoreApi } from 'zustand/vanilla';
import type { BridgeConnection } from '../bridge/bridgeState.js';
import type { BillingSlice } from './billingSlice.js';
import type { ConnectionsSlice } from './connectionsSlice.js';
import type { DomainsSlice } from './domainsSlice.js';
import type { InstancesSlice } from './instancesSlice.js';
import type { LifecycleSlice } from './lifecycleSlice.js';
import type { LogsSlice } from './logsSlice.js';
import type { SessionSlice } from './sessionSlice.js';
import type { UiSlice } from './uiSlice.js';

/** What the store needs from the outside world; tests pass their own. */
export interface StoreDeps {
  api: DesktopApi;
  connection: BridgeConnection;
  /** Opens a URL in a new browser tab when the host answers `opened: false`. */
  openWindow: (url: string) => void;
  /** Where UI preferences (the theme) are kept. */
  preferences: Pick<Storage, 'getItem' | 'setItem'>;
  now: () => number;
  /** Pause after the last keystroke before the subdomain is checked. */
  subdomainCheckDelayMs?: number;
  /** Give up waiting for a checkout after this long. */
  checkoutTimeoutMs?: number;
}

/** The whole renderer state: one zustand store built from slices (CONVENTIONS rule 7). */
export type AppState = SessionSlice &
  BillingSlice &
  InstancesSlice &
  DomainsSlice &
  ConnectionsSlice &
  LogsSlice &
  UiSlice &
  LifecycleSlice;

export type SetState = StoreApi<AppState>['setState'];
export type GetState = StoreApi<AppState>['getState'];

/** Builds one slice from the store's set/get and the injected dependencies. */
export type SliceCreator<T> = (set: SetState, get: GetState, deps: StoreDeps) => T;
