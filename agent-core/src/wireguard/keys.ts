import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { WIREGUARD_KEY_PATTERN } from '../api/common.js';
import { WireGuardError } from './wireguardError.js';

/** A Curve25519 key pair in WireGuard's form: 32 raw bytes each, base64 (44 chars). */
export interface WireGuardKeyPair {
  privateKey: string;
  publicKey: string;
}

const fromB64url = (s: string) => Buffer.from(s, 'base64url').toString('base64');

/**
 * A fresh key pair from Node's X25519 (the same curve `wg genkey` uses). Each side makes its own
 * private key where it runs, and only the public half ever leaves that machine.
 */
export function generateKeyPair(): WireGuardKeyPair {
  const { privateKey } = generateKeyPairSync('x25519');
  const jwk = privateKey.export({ format: 'jwk' });
  return { privateKey: fromB64url(jwk.d as string), publicKey: fromB64url(jwk.x as string) };
}

/**
 * The public key of a base64 WireGuard private key; KEY_INVALID when it is not one. The base64
 * check comes first: Node's decoder skips characters that are not base64, so a mangled key could
 * otherwise still decode to 32 bytes and yield a public key nobody holds the private half of.
 */
export function publicKeyOf(privateKey: string): string {
  const raw = WIREGUARD_KEY_PATTERN.test(privateKey) ? Buffer.from(privateKey, 'base64') : null;
  if (!raw || raw.length !== 32) {
    throw new WireGuardError('KEY_INVALID', 'The WireGuard private key is not 32 bytes of base64');
  }
  // PKCS#8 wrapping of a raw X25519 private key (RFC 8410).
  const der = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), raw]);
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return fromB64url(createPublicKey(key).export({ format: 'jwk' }).x as string);
}
