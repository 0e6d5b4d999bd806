import { WIREGUARD_KEY_PATTERN } from '../api/common.js';

/**
 * Settings files are plain JSON that users back up, sync and paste into bug reports, so nothing
 * secret may ever land in one. This finds fields whose name or value looks like a credential.
 */

/** Field names that only a credential would have (matched on the name with separators removed). */
const SECRET_NAME =
  /token|secret|passw(or)?d|passphrase|credential|apikey|privatekey|authorization|cookie/i;
/** `key`, `fooKey`, `foo_key`, `foo-key`: names of keys. */
const KEY_NAME = /^key$|[a-z0-9]Key$|[_-]key$/i;

const SECRET_VALUES: ReadonlyArray<{ pattern: RegExp; what: string }> = [
  { pattern: /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/, what: 'a JWT' },
  // Cloudflare tunnel tokens are base64 JSON (`{"a":…,"t":…,"s":…}`), so they start with eyJ.
  { pattern: /eyJ[A-Za-z0-9+/=_-]{46,}/, what: 'a Cloudflare tunnel token' },
  { pattern: WIREGUARD_KEY_PATTERN, what: 'a WireGuard key' },
  { pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/, what: 'a private key' },
  { pattern: /\b(sk|rk|whsec)_(live_|test_)?[A-Za-z0-9]{10,}/, what: 'an API secret' },
  { pattern: /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i, what: 'a URL with a password in it' },
];

export interface SecretFinding {
  /** Where it is, e.g. `connections[0].token`. */
  path: string;
  /** Why it was refused, without the value. */
  reason: string;
}

/** The first field in `value` that looks like a secret, or null. */
export function findSecretLikeField(value: unknown, path = ''): SecretFinding | null {
  if (typeof value === 'string') {
    for (const { pattern, what } of SECRET_VALUES) {
      if (pattern.test(value))
        return { path: path || '(value)', reason: `its value looks like ${what}` };
    }
    return null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findSecretLikeField(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [name, child] of Object.entries(value)) {
      const here = path ? `${path}.${name}` : name;
      if (SECRET_NAME.test(name.replace(/[^A-Za-z0-9]/g, '')) || KEY_NAME.test(name)) {
        return { path: here, reason: 'its name says it holds a token, key or password' };
      }
      const found = findSecretLikeField(child, here);
      if (found) return found;
    }
  }
  return null;
}
