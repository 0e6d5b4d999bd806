import { describe, expect, it } from 'vitest';
import { APP_WEB_PREFERENCES, guardWebContents, type GuardedContents } from './windowGuards.js';

const APP = 'file:///opt/Cloud%20Connect/resources/renderer/index.html';

/** A web contents that keeps the handlers the guards install, so the test can fire them. */
function guardedContents() {
  let windowOpen: Parameters<GuardedContents['setWindowOpenHandler']>[0] | null = null;
  const navigate: Array<(event: { preventDefault(): void }, url: string) => void> = [];
  const attach: Array<(event: { preventDefault(): void }) => void> = [];
  const contents: GuardedContents = {
    setWindowOpenHandler: (handler) => {
      windowOpen = handler;
    },
    on: (event: string, listener: (e: { preventDefault(): void }, url: string) => void) => {
      (event === 'will-navigate' ? navigate : attach).push(listener);
      return contents;
    },
  };
  const opened: string[] = [];
  guardWebContents(
    contents,
    () => APP,
    (url) => opened.push(url),
  );
  /** Fire a cancellable event; answers whether a guard cancelled it. */
  const fire = (listeners: typeof navigate, url = '') => {
    let prevented = false;
    for (const listener of listeners) listener({ preventDefault: () => (prevented = true) }, url);
    return prevented;
  };
  return {
    opened,
    openWindow: (url: string) => windowOpen?.({ url }),
    navigate: (url: string) => fire(navigate, url),
    attachWebview: () => fire(attach),
  };
}

describe('the window guards', () => {
  it('deny every new window; an http(s) link opens in the system browser instead', () => {
    const page = guardedContents();

    expect(page.openWindow('https://example.com/docs')).toEqual({ action: 'deny' });
    expect(page.openWindow(APP)).toEqual({ action: 'deny' });
    expect(page.opened).toEqual(['https://example.com/docs']);
  });

  it.each([
    'file:///etc/passwd',
    'javascript:alert(1)',
    'smb://share/x',
    'https://user:pass@example.com/',
    'not a url',
  ])('never hand %s to the system', (url) => {
    const page = guardedContents();

    expect(page.openWindow(url)).toEqual({ action: 'deny' });
    expect(page.navigate(url)).toBe(true);
    expect(page.opened).toEqual([]);
  });

  it('let the window reload the app’s own page', () => {
    const page = guardedContents();

    expect(page.navigate(APP)).toBe(false);
    expect(page.opened).toEqual([]);
  });

  it('cancel navigation anywhere else, opening an http(s) link in the system browser', () => {
    const page = guardedContents();

    expect(page.navigate('https://evil.example/phish')).toBe(true);
    expect(page.opened).toEqual(['https://evil.example/phish']);
  });

  it('refuse to attach a webview', () => {
    expect(guardedContents().attachWebview()).toBe(true);
  });

  it('run the window isolated and sandboxed, with no Node in the page', () => {
    expect(APP_WEB_PREFERENCES).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
    });
  });
});
