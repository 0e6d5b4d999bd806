import { createStore } from 'zustand/vanilla';
import type { StoreApi } from 'zustand/vanilla';
import { createBillingSlice } from './billingSlice.js';
import { createConnectionsSlice } from './connectionsSlice.js';
import { createDomainsSlice } from './domainsSlice.js';
import { createInstancesSlice } from './instancesSlice.js';
import { createLifecycleSlice } from './lifecycleSlice.js';
import { createLogsSlice } from './logsSlice.js';
import { createSessionSlice } from './sessionSlice.js';
import type { AppState, StoreDeps } from './storeTypes.js';
import { createUiSlice } from './uiSlice.js';

export type AppStore = StoreApi<AppState>;

/** The renderer's one store, built from its slices around one DesktopApi. */
export function createAppStore(deps: StoreDeps): AppStore {
  return createStore<AppState>()((set, get) => ({
    ...createUiSlice(set, get, deps),
    ...createSessionSlice(set, get, deps),
    ...createBillingSlice(set, get, deps),
    ...createInstancesSlice(set, get, deps),
    ...createDomainsSlice(set, get, deps),
    ...createConnectionsSlice(set, get, deps),
    ...createLogsSlice(set, get, deps),
    ...createLifecycleSlice(set, get, deps),
  }));
}
