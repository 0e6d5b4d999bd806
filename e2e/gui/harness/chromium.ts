/**
 * Debian's Chromium, never a browser downloaded by Playwright (FACTS.md). Playwright gives each
 * launch a fresh temporary profile (`--user-data-dir`), so runs never share state.
 */
export const CHROMIUM_PATH = process.env.CC_CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags FACTS.md asks for: no sandbox (root in a container), no GPU, nothing phoning home. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
