import { hkdfSync, randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';

const ISSUER = 'cloud-connect';
const ALG = 'HS256';
export const ACCESS_TTL_SECONDS = 15 * 60;
export const REFRESH_TTL_SECONDS = 7 * 24 * 60 * 60;

type Kind = 'access' | 'refresh' | 'instance';

export interface AccessClaims {
  userId: string;
}
export interface RefreshClaims {
  userId: string;
  tokenId: string;
  familyId: string;
  expiresAt: Date;
}
export interface InstanceClaims {
  instanceId: string;
  userId: string;
  tokenId: string;
}

/** A random URL-safe id for token ids and families. */
export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * Signs and verifies the three token kinds. Each kind has its own key (HKDF from the relay
 * secret) and audience, and verification pins HS256, so one kind can never pass as another.
 */
export class TokenService {
  private readonly keys: Record<Kind, Uint8Array>;

  constructor(
    secret: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    const derive = (kind: Kind) =>
      new Uint8Array(hkdfSync('sha256', secret, 'cloud-connect-tokens', kind, 32));
    this.keys = {
      access: derive('access'),
      refresh: derive('refresh'),
      instance: derive('instance'),
    };
  }

  private sign(kind: Kind, claims: JWTPayload, subject: string, ttlSeconds: number | null) {
    const iat = Math.floor(this.now().getTime() / 1000);
    const jwt = new SignJWT({ ...claims, typ: kind })
      .setProtectedHeader({ alg: ALG, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(`${ISSUER}:${kind}`)
      .setSubject(subject)
      .setIssuedAt(iat);
    if (ttlSeconds !== null) jwt.setExpirationTime(iat + ttlSeconds);
    return jwt.sign(this.keys[kind]);
  }

  private async verify(kind: Kind, token: string): Promise<JWTPayload | null> {
    try {
      const { payload } = await jwtVerify(token, this.keys[kind], {
        algorithms: [ALG],
        issuer: ISSUER,
        audience: `${ISSUER}:${kind}`,
        currentDate: this.now(),
      });
      return payload.typ === kind && typeof payload.sub === 'string' ? payload : null;
    } catch (e) {
      if (e instanceof joseErrors.JOSEError || e instanceof TypeError) return null;
      throw e;
    }
  }

  signAccess(userId: string): Promise<string> {
    return this.sign('access', {}, userId, ACCESS_TTL_SECONDS);
  }

  async verifyAccess(token: string): Promise<AccessClaims | null> {
    const p = await this.verify('access', token);
    return p ? { userId: p.sub as string } : null;
  }

  signRefresh(userId: string, tokenId: string, familyId: string): Promise<string> {
    return this.sign('refresh', { jti: tokenId, fam: familyId }, userId, REFRESH_TTL_SECONDS);
  }

  async verifyRefresh(token: string): Promise<RefreshClaims | null> {
    const p = await this.verify('refresh', token);
    if (!p || typeof p.jti !== 'string' || typeof p.fam !== 'string' || typeof p.exp !== 'number') {
      return null;
    }
    return {
      userId: p.sub as string,
      tokenId: p.jti,
      familyId: p.fam,
      expiresAt: new Date(p.exp * 1000),
    };
  }

  /** Instance tokens carry instance id, user id and iat, and no expiry (seed 003). */
  signInstance(instanceId: string, userId: string, tokenId: string): Promise<string> {
    return this.sign('instance', { uid: userId, jti: tokenId }, instanceId, null);
  }

  async verifyInstance(token: string): Promise<InstanceClaims | null> {
    const p = await this.verify('instance', token);
    if (!p || typeof p.uid !== 'string' || typeof p.jti !== 'string') return null;
    return { instanceId: p.sub as string, userId: p.uid, tokenId: p.jti };
  }
}
