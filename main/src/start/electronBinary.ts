import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const NO_BINARY =
  'the electron package has no binary (it downloads one from GitHub at install time; allowScripts skips that here)';

/**
 * The Electron executable, or null with the reason when there is none. It reads what the
 * `electron` package's index.js reads (`path.txt`, `dist/`, ELECTRON_OVERRIDE_DIST_PATH) without
 * loading it: since Electron 45 loading it downloads a missing binary from GitHub.
 */
export function findElectron(): { path: string } | { path: null; reason: string } {
  let packageDir: string;
  try {
    packageDir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { path: null, reason: 'the electron package is not installed' };
  }
  const pathFile = path.join(packageDir, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const binary = override
    ? path.join(override, executable ?? 'electron')
    : executable && path.join(packageDir, 'dist', executable);
  if (binary && existsSync(binary)) return { path: binary };
  return { path: null, reason: NO_BINARY };
}
