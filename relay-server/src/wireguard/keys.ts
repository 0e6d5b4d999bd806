import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  generateKeyPair,
  publicKeyOf,
  type WireGuardKeyPair,
} from '@cloud-connect/agent-core/wireguard';
import { createOnce } from '../config/dataDir.js';

/** Where the server's private key lives; `wg set … private-key <file>` reads it from there. */
export function serverKeyFile(dataDir: string): string {
  return path.join(dataDir, 'wireguard.key');
}

/** The server key pair: generated once, kept as `<data dir>/wireguard.key` with mode 0600. */
export async function loadOrCreateServerKey(dataDir: string): Promise<WireGuardKeyPair> {
  const file = serverKeyFile(dataDir);
  const existing = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const kept = (existing ?? (await createOnce(file, `${generateKeyPair().privateKey}\n`))).trim();
  try {
    return { privateKey: kept, publicKey: publicKeyOf(kept) };
  } catch {
    throw new Error(
      `${file} does not hold a WireGuard private key; restore it, or delete it to generate a new one (every agent must register again)`,
    );
  }
}
