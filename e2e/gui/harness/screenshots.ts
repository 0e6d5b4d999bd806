import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { expect, type Page } from '@playwright/test';
import { REPO_ROOT } from '../../harness/relayProcess.js';

/** Where every screen's picture goes, `<screen>-light.png` and `<screen>-dark.png`. */
export const SCREENS_DIR = path.join(REPO_ROOT, 'test-results', 'screens');

/**
 * Saves the page as it is now in the light and the dark theme. The theme preference is
 * "System" (a fresh profile), so the app follows the emulated colour scheme; `data-theme` on
 * <html> is checked before each picture so a picture never shows the wrong theme.
 */
export async function captureScreen(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENS_DIR, { recursive: true });
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await expect(page.locator('html')).toHaveAttribute('data-theme', scheme);
    await page.screenshot({
      path: path.join(SCREENS_DIR, `${name}-${scheme}.png`),
      fullPage: true,
      animations: 'disabled',
      caret: 'hide',
    });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}
