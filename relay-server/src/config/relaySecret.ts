import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ConfigError } from './config.js';
import { createOnce } from './dataDir.js';

/** Shorter than RELAY_SECRET may be: a kept secret this short is damaged, not weak by choice. */
const MIN_LENGTH = 32;

/** RELAY_SECRET, or one generated on first start and kept in `<data dir>/relay-secret` (0600). */
export async function loadOrCreateRelaySecret(
  dataDir: string,
  configured: string | null,
): Promise<string> {
  if (configured) return configured;
  const file = path.join(dataDir, 'relay-secret');
  const kept = (await createOnce(file, `${randomBytes(48).toString('base64url')}\n`)).trim();
  if (kept.length < MIN_LENGTH) {
    // An empty key would sign tokens anyone can forge: refuse rather than run with it.
    throw new ConfigError(
      'RELAY_SECRET',
      `the kept secret in ${file} is damaged (${kept.length} characters); delete the file to generate a new one (everyone is signed out) or set RELAY_SECRET`,
    );
  }
  return kept;
}
