import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** RELAY_SECRET, or one generated on first start and kept in `<data dir>/relay-secret` (0600). */
export async function loadOrCreateRelaySecret(
  dataDir: string,
  configured: string | null,
): Promise<string> {
  if (configured) return configured;
  const file = path.join(dataDir, 'relay-secret');
  const existing = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (existing) return existing;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFile(file, `${randomBytes(48).toString('base64url')}\n`, {
    mode: 0o600,
    flag: 'wx',
  }).catch((e) => {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  });
  return (await readFile(file, 'utf8')).trim();
}
