import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createOnce } from '../config/dataDir.js';

export interface WireGuardKeyPair {
  privateKey: string;
  publicKey: string;
}

const fromB64url = (s: string) => Buffer.from(s, 'base64url').toString('base64');

/** A Curve25519 key pair in WireGuard's base64 form, from Node's X25519. */
export function generateKeyPair(): WireGuardKeyPair {
  const { privateKey } = generateKeyPairSync('x25519');
  const jwk = privateKey.export({ format: 'jwk' });
  return { privateKey: fromB64url(jwk.d as string), publicKey: fromB64url(jwk.x as string) };
}

/** The public key of a base64 WireGuard private key. */
export function publicKeyOf(privateKeyB64: string): string {
  const raw = Buffer.from(privateKeyB64, 'base64');
  if (raw.length !== 32) throw new Error('A WireGuard private key is 32 bytes in base64');
  // PKCS#8 wrapping of a raw X25519 private key (RFC 8410).
  const der = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), raw]);
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  return fromB64url(jwk.x as string);
}

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
