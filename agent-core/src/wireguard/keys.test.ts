import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { WIREGUARD_KEY_PATTERN } from '../api/common.js';
import { generateKeyPair, publicKeyOf } from './keys.js';
import { WireGuardError } from './wireguardError.js';

/** wireguard-tools' own answer: the private key on stdin, never in argv. */
const wgPubkey = (privateKey: string) =>
  execFileSync('wg', ['pubkey'], { input: `${privateKey}\n` })
    .toString()
    .trim();
/** A valid key with a "!" in the middle: 45 characters that Node still decodes to its 32 bytes. */
const strayCharacter = (key: string) => `${key.slice(0, 10)}!${key.slice(10)}`;
const wgGenkey = () => execFileSync('wg', ['genkey']).toString().trim();

describe('WireGuard keys', () => {
  it('generates pairs whose public key is the one `wg pubkey` derives', () => {
    for (let i = 0; i < 5; i++) {
      const pair = generateKeyPair();
      expect(pair.privateKey).toMatch(WIREGUARD_KEY_PATTERN);
      expect(pair.publicKey).toMatch(WIREGUARD_KEY_PATTERN);
      expect(pair.publicKey).toBe(wgPubkey(pair.privateKey));
    }
  });

  it('derives the public key `wg pubkey` does for keys made by `wg genkey`', () => {
    for (let i = 0; i < 5; i++) {
      const privateKey = wgGenkey();
      expect(publicKeyOf(privateKey)).toBe(wgPubkey(privateKey));
    }
  });

  it.each([
    ['not base64 at all', 'not-a-key-but-a-secret-looking-string'],
    ['empty', ''],
    ['31 bytes', Buffer.alloc(31, 7).toString('base64')],
    // Node's decoder skips the "!" and reads the same 32 bytes: only the base64 check refuses it.
    ['a key with a stray character', strayCharacter(generateKeyPair().privateKey)],
  ])('refuses a key that is %s with KEY_INVALID, without echoing it', (_what, key) => {
    let caught: unknown;
    try {
      publicKeyOf(key);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WireGuardError);
    expect(caught).toMatchObject({ code: 'KEY_INVALID' });
    expect((caught as Error).message).not.toContain('secret-looking');
  });
});
