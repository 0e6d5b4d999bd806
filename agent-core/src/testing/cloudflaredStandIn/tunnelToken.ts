import { randomBytes, randomUUID } from 'node:crypto';

export interface TunnelTokenParts {
  /** Account tag, 32 hex characters. */
  accountTag?: string;
  /** Tunnel UUID. */
  tunnelId?: string;
  /** The tunnel secret, base64 of 32 random bytes. */
  secret?: string;
}

/**
 * A well-formed Cloudflare Tunnel token, as the dashboard hands them out: standard base64
 * of `{"a": account tag, "t": tunnel id, "s": base64 secret}`. Random parts by default.
 */
export function makeTunnelToken(parts: TunnelTokenParts = {}): string {
  const body = {
    a: parts.accountTag ?? randomBytes(16).toString('hex'),
    t: parts.tunnelId ?? randomUUID(),
    s: parts.secret ?? randomBytes(32).toString('base64'),
  };
  return Buffer.from(JSON.stringify(body)).toString('base64');
}

/** The tunnel id inside a token made by `makeTunnelToken` (for per-tunnel scenarios). */
export function tunnelIdOf(token: string): string {
  const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { t: string };
  return parsed.t;
}
