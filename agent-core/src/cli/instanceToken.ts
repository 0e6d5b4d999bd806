/**
 * The instance id an instance token is for. The token is a JWT whose subject is the instance id
 * (`typ: "instance"`); it is read without verifying the signature, only to pick the instance
 * when `connect` is given no `--instance` — the relay still checks the token on every call.
 */
export function instanceIdOfToken(token: string): string | null {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return null;
  try {
    const payload = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as {
      sub?: unknown;
      typ?: unknown;
    };
    if (payload.typ !== undefined && payload.typ !== 'instance') return null;
    return typeof payload.sub === 'string' && payload.sub ? payload.sub : null;
  } catch {
    return null;
  }
}
