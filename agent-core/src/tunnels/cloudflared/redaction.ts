/**
 * Keeps tunnel tokens out of log events and error messages. cloudflared never prints its
 * token, but a future version, a wrapper script or a debug flag might: everything the driver
 * passes on goes through here first.
 */

export const REDACTED = '[REDACTED]';

/** A base64 JSON object (`{"…` encodes to `eyJ…`), the shape of every tunnel token. */
const TOKEN_LIKE = /eyJ[A-Za-z0-9+/_-]{16,}={0,2}/g;
/** `token=…`, `TUNNEL_TOKEN=…`, `--token …`, `"token":"…"` and the like (not prose: no space after `:`). */
const TOKEN_ASSIGNMENT =
  /(--token[=\s]+|\b(?:tunnel[_-]?)?token["']?[:=]["']?)([A-Za-z0-9+/=_.-]{16,})/gi;

/**
 * The strings that must never appear for a given token: the token itself and the secret
 * inside it (`s`, base64), whatever else the token holds is not secret (account, tunnel id).
 */
export function secretsOfToken(token: string): string[] {
  const secrets = [token, token.trim()];
  try {
    const decoded = JSON.parse(Buffer.from(token.trim(), 'base64').toString('utf8')) as {
      s?: unknown;
    };
    if (typeof decoded.s === 'string' && decoded.s.length >= 8) secrets.push(decoded.s);
  } catch {
    // A malformed token has no inner secret to look for; the token itself is still redacted.
  }
  return [...new Set(secrets.filter((s) => s.length >= 8))];
}

/** Replace known secrets and anything that looks like a tunnel token with `[REDACTED]`. */
export function redactSecrets(text: string, known: readonly string[] = []): string {
  let out = text;
  // Longest first so a secret inside a longer one does not leave a partial token behind.
  for (const secret of [...known].sort((a, b) => b.length - a.length)) {
    if (secret.length >= 8) out = out.split(secret).join(REDACTED);
  }
  out = out.replace(TOKEN_LIKE, REDACTED);
  out = out.replace(TOKEN_ASSIGNMENT, `$1${REDACTED}`);
  return out;
}
