import { app, shell, type WebContents } from 'electron';
import { isSafeExternalUrl } from '../host/externalUrl.js';

/**
 * Every web contents the app creates: new windows are denied (an http(s) link goes to the
 * system browser instead) and navigation away from the app's own page is blocked.
 */
export function setupNavigationGuards(appUrl: () => string): void {
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.setWindowOpenHandler(({ url }) => {
      if (isSafeExternalUrl(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
    contents.on('will-navigate', (event, url) => {
      if (url !== appUrl()) {
        event.preventDefault();
        if (isSafeExternalUrl(url)) void shell.openExternal(url);
      }
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}
