import type { AppInfo } from '@cloud-connect/agent-core/desktop';
import type { BridgeState } from '../bridge/bridgeState.js';
import type { RequestKey, RequestState } from './requests.js';
import { IDLE, setRequest, track } from './requests.js';
import type { Route } from './route.js';
import type { SliceCreator } from './storeTypes.js';

export type ThemePreference = 'system' | 'light' | 'dark';

/** A short message at the top of the screen after an action (e.g. "Email verified"). */
export interface Flash {
  id: number;
  tone: 'success' | 'info' | 'error';
  text: string;
}

export interface UiSlice {
  route: Route;
  theme: ThemePreference;
  appInfo: AppInfo | null;
  bridge: BridgeState;
  flash: Flash | null;
  requests: Partial<Record<RequestKey, RequestState>>;
  /** Shows another screen; clears the flash of the previous one. */
  navigate(route: Route): void;
  setTheme(theme: ThemePreference): void;
  loadAppInfo(): Promise<void>;
  setLaunchAtLogin(enabled: boolean): Promise<void>;
  showFlash(tone: Flash['tone'], text: string): void;
  dismissFlash(): void;
  clearRequest(key: RequestKey): void;
  /** Opens a URL in the system browser, or in a new tab where the host cannot. */
  openExternal(url: string): Promise<void>;
  /** Skips the bridge's backoff wait. */
  reconnectBridge(): void;
}

export const THEME_KEY = 'cloud-connect.theme';

function readTheme(preferences: Pick<Storage, 'getItem'>): ThemePreference {
  const stored = preferences.getItem(THEME_KEY);
  return stored === 'light' || stored === 'dark' ? stored : 'system';
}

let flashIds = 0;

export const createUiSlice: SliceCreator<UiSlice> = (set, get, deps) => ({
  route: { name: 'signIn' },
  theme: readTheme(deps.preferences),
  appInfo: null,
  bridge: deps.connection.getState(),
  flash: null,
  requests: {},

  navigate: (route) => set({ route, flash: null }),

  setTheme: (theme) => {
    deps.preferences.setItem(THEME_KEY, theme);
    set({ theme });
  },

  loadAppInfo: async () => {
    const result = await deps.api.getAppInfo();
    if (result.ok) set({ appInfo: result.value });
  },

  setLaunchAtLogin: async (enabled) => {
    const result = await track(set, 'launchAtLogin', () => deps.api.setLaunchAtLogin(enabled));
    if (result.ok) set({ appInfo: result.value });
  },

  showFlash: (tone, text) => set({ flash: { id: ++flashIds, tone, text } }),
  dismissFlash: () => set({ flash: null }),
  clearRequest: (key) => setRequest(set, key, IDLE),

  openExternal: async (url) => {
    const result = await track(set, 'openExternal', () => deps.api.openExternal(url));
    // The web host cannot open the user's browser for them: the page opens a tab itself.
    if (result.ok && !result.value.opened) deps.openWindow(url);
    if (!result.ok) get().showFlash('error', `Could not open ${url}.`);
  },

  reconnectBridge: () => deps.connection.reconnectNow(),
});
