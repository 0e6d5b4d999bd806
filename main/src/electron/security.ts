import { app, shell, type WebContents } from 'electron';
import { guardWebContents } from './windowGuards.js';

/**
 * Every web contents the app creates gets the window guards (windowGuards.ts): no new windows,
 * no navigation away from the app's page, no webviews; safe links go to the system browser.
 */
export function setupNavigationGuards(appUrl: () => string): void {
  app.on('web-contents-created', (_event, contents: WebContents) => {
    guardWebContents(contents, appUrl, (url) => void shell.openExternal(url));
  });
}
