import { jwtPayload } from '../client/jwtPayload.js';

/**
 * The instance id an instance token is for. The token is a JWT whose subject is the instance id
 * (`typ: "instance"`); it is read without verifying the signature, only to pick the instance
 * when `connect` is given no `--instance` — the relay still checks the token on every call.
 */
export function instanceIdOfToken(token: string): string | null {
  const payload = jwtPayload(token);
  if (!payload) return null;
  if (payload.typ !== undefined && payload.typ !== 'instance') return null;
  return typeof payload.sub === 'string' && payload.sub ? payload.sub : null;
}
