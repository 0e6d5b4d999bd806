import type { ReactNode } from 'react';
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { AppStore } from './appStore.js';
import type { RequestKey, RequestState } from './requests.js';
import { IDLE } from './requests.js';
import type { AppState } from './storeTypes.js';

const StoreContext = createContext<AppStore | null>(null);

/** Makes the app's store available to every component below. */
export function StoreProvider({ store, children }: { store: AppStore; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

/**
 * Selects one field (or action) of the store. Selectors must return a stored value, not build a
 * new object, so a component re-renders only when that field changes.
 */
export function useAppStore<T>(selector: (state: AppState) => T): T {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useAppStore must be used inside <StoreProvider>');
  return useStore(store, selector);
}

/** The state of one request: pending, failed, or IDLE when nobody made it or it succeeded. */
export function useRequest(key: RequestKey): RequestState {
  return useAppStore((s) => s.requests[key] ?? IDLE);
}
