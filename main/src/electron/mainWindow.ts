import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SettingsStore } from '@cloud-connect/agent-core/settings';
import { BrowserWindow, screen } from 'electron';
import { APP_WEB_PREFERENCES } from './windowGuards.js';

export interface MainWindowOptions {
  rendererIndex: string;
  preload: string;
  icon: string;
  settings: SettingsStore;
}

/** Bounds saved from last time, if they still fit on a connected display. */
function savedBounds(settings: SettingsStore) {
  const b = settings.read().preferences.windowBounds;
  if (!b) return null;
  const visible = screen
    .getAllDisplays()
    .some(
      ({ workArea: a }) =>
        b.x < a.x + a.width && b.x + b.width > a.x && b.y < a.y + a.height && b.y + b.height > a.y,
    );
  return visible ? b : null;
}

/**
 * The app window: context isolation, sandbox, no Node in the renderer, the preload as the only
 * bridge; its size and place are kept across restarts. Closing it hides it (the tray stays).
 */
export function createMainWindow(options: MainWindowOptions): {
  window: BrowserWindow;
  url: string;
} {
  const bounds = savedBounds(options.settings);
  const window = new BrowserWindow({
    width: bounds?.width ?? 1100,
    height: bounds?.height ?? 760,
    ...(bounds ? { x: bounds.x, y: bounds.y } : {}),
    minWidth: 720,
    minHeight: 520,
    show: false,
    title: 'Cloud Connect',
    icon: options.icon,
    webPreferences: { ...APP_WEB_PREFERENCES, preload: options.preload },
  });
  const url = pathToFileURL(path.resolve(options.rendererIndex)).toString();
  void window.loadURL(url);
  window.once('ready-to-show', () => window.show());
  let saveTimer: NodeJS.Timeout | null = null;
  const save = () => {
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = setTimeout(() => {
      if (window.isDestroyed() || window.isMinimized() || window.isMaximized()) return;
      void options.settings
        .updatePreferences({ windowBounds: window.getBounds() })
        .catch(() => undefined);
    }, 500);
  };
  window.on('resize', save);
  window.on('move', save);
  return { window, url };
}
