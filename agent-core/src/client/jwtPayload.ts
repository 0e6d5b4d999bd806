/**
 * The claims of a JWT, read without verifying its signature (the relay verifies every token it
 * is sent): only for choices the client makes itself, such as when to refresh. Null when the
 * token is not three dot-separated parts with a JSON object in the middle.
 */
export function jwtPayload(token: string): Record<string, unknown> | null {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return null;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
    return payload && typeof payload === 'object' ? (payload as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
