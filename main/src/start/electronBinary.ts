import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * The Electron executable, or null with the reason when there is none: the `electron` package
 * downloads its binary at install time, which fails without access to GitHub.
 */
export function findElectron(): { path: string } | { path: null; reason: string } {
  try {
    const binary = createRequire(import.meta.url)('electron') as unknown;
    if (typeof binary === 'string' && existsSync(binary)) return { path: binary };
    return { path: null, reason: 'the electron package has no binary' };
  } catch (e) {
    return {
      path: null,
      reason: (e as Error).message.split('\n')[0] ?? 'electron is not installed',
    };
  }
}
