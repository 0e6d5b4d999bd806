import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The directory holding the stand-in executable named `cloudflared`: put it first on PATH. */
export function cloudflaredStandInBinDir(): string {
  return join(here, 'bin');
}

/** Absolute path of the stand-in executable (`…/bin/cloudflared`). */
export function cloudflaredStandInPath(): string {
  return join(cloudflaredStandInBinDir(), 'cloudflared');
}
