import type { WebPreferences } from 'electron';
import { isSafeExternalUrl } from '../host/externalUrl.js';

/*
 * The window's security set-up as data and a function over the few methods of a web contents
 * it uses, so it is tested without Electron; security.ts and mainWindow.ts apply it.
 */

/**
 * The app window's web preferences (all but the preload's path): context isolation, the
 * Chromium sandbox, no Node in the page, same-origin policy on.
 */
export const APP_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  spellcheck: false,
} as const satisfies WebPreferences;

/** An Electron event the listener may cancel. */
interface Preventable {
  preventDefault(): void;
}

/** What the guards use of a web contents (Electron's WebContents has these). */
export interface GuardedContents {
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
  on(event: 'will-navigate', listener: (event: Preventable, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: Preventable) => void): unknown;
}

/**
 * Guard one web contents the app created: every new window is denied (an http(s) link opens
 * in the system browser instead), navigation away from the app's own page is cancelled (the
 * same rule for the link), and no `<webview>` may be attached.
 */
export function guardWebContents(
  contents: GuardedContents,
  appUrl: () => string,
  openExternal: (url: string) => void,
): void {
  const openIfSafe = (url: string) => {
    if (isSafeExternalUrl(url)) openExternal(url);
  };
  contents.setWindowOpenHandler(({ url }) => {
    openIfSafe(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    if (url === appUrl()) return;
    event.preventDefault();
    openIfSafe(url);
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}
