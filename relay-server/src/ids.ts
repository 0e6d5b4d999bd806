import { randomInt } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `usr_…` / `inst_…`: 20 random lower-case base-36 characters (~103 bits), DNS-label safe. */
export function newId(prefix: 'usr' | 'inst', length = 20): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return `${prefix}_${out}`;
}
