import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TunnelError } from '../tunnelError.js';
import { WIREGUARD_KEY_PATTERN } from '../../api/common.js';
import { generateKeyPair, publicKeyOf } from './keys.js';

describe('WireGuard keys', () => {
  it('generates a pair whose public key is the one `wg pubkey` derives', () => {
    const pair = generateKeyPair();
    expect(pair.privateKey).toMatch(WIREGUARD_KEY_PATTERN);
    expect(pair.publicKey).toMatch(WIREGUARD_KEY_PATTERN);
    const fromWg = execFileSync('wg', ['pubkey'], { input: `${pair.privateKey}\n` })
      .toString()
      .trim();
    expect(pair.publicKey).toBe(fromWg);
  });

  it('derives the public key of a key made by `wg genkey`', () => {
    const priv = execFileSync('wg', ['genkey']).toString().trim();
    const pub = execFileSync('wg', ['pubkey'], { input: `${priv}\n` })
      .toString()
      .trim();
    expect(publicKeyOf(priv)).toBe(pub);
  });

  it('refuses something that is not a 32-byte base64 key, without echoing it', () => {
    const err = (() => {
      try {
        publicKeyOf('not-a-key-but-a-secret-looking-string');
      } catch (e) {
        return e;
      }
    })() as TunnelError;
    expect(err).toBeInstanceOf(TunnelError);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).not.toContain('secret-looking');
  });
});
