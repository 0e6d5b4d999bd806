import type {
  DomainRecord,
  DomainReleaseRecord,
  EmailTokenRecord,
  InstanceRecord,
  RefreshTokenRecord,
  UserRecord,
} from '../../store/types.js';

let serial = 0;

/** A record from `make`'s defaults for the next serial number, then the fields a test sets. */
function build<T>(over: Partial<T> | undefined, make: (n: number) => T): T {
  serial += 1;
  return { ...make(serial), ...over };
}

/** An ISO time `ms` after 2030-01-01: distinct, ordered and far from any real clock. */
export const iso = (ms: number) => new Date(Date.UTC(2030, 0, 1) + ms).toISOString();

/** Record builders with unique keys; tests override the fields they are about. */
export const records = {
  user: (over?: Partial<UserRecord>): UserRecord =>
    build(over, (n) => ({
      id: `usr_contract${n}`,
      email: `user${n}@example.test`,
      name: `User ${n}`,
      passwordHash: `$argon2id$v=19$m=19456,t=2,p=1$hash${n}`,
      createdAt: iso(n),
      emailVerifiedAt: null,
      acceptMarketing: false,
      termsAcceptedAt: iso(n),
      clientVersion: null,
      stripeCustomerId: null,
      subscription: null,
    })),
  instance: (userId: string, over?: Partial<InstanceRecord>): InstanceRecord =>
    build(over, (n) => ({
      id: `inst_contract${n}`,
      userId,
      name: `Instance ${n}`,
      subdomain: `sub${n}`,
      tunnelIp: `10.100.${Math.floor(n / 250)}.${(n % 250) + 2}`,
      tokenId: `tok${n}`,
      publicKey: null,
      targetPort: null,
      status: 'pending',
      registeredAt: null,
      lastSeen: null,
      createdAt: iso(n),
    })),
  domain: (instance: InstanceRecord, over?: Partial<DomainRecord>): DomainRecord =>
    build(over, (n) => ({
      domain: `app${n}.example.test`,
      instanceId: instance.id,
      userId: instance.userId,
      status: 'pending_verification',
      sslStatus: 'pending',
      verifiedAt: null,
      lastCheckedAt: null,
      lastError: null,
      createdAt: iso(n),
    })),
  release: (domain: DomainRecord, over?: Partial<DomainReleaseRecord>): DomainReleaseRecord =>
    build(over, (n) => ({
      domain: domain.domain,
      instanceId: domain.instanceId,
      userId: domain.userId,
      reason: 'claimed_elsewhere',
      releasedAt: iso(n),
      lastError: null,
    })),
  refreshToken: (userId: string, over?: Partial<RefreshTokenRecord>): RefreshTokenRecord =>
    build(over, (n) => ({
      id: `rt${n}`,
      familyId: `fam${n}`,
      userId,
      createdAt: iso(n),
      expiresAt: iso(n + 7 * 86_400_000),
      usedAt: null,
      revokedAt: null,
    })),
  emailToken: (userId: string, over?: Partial<EmailTokenRecord>): EmailTokenRecord =>
    build(over, (n) => ({
      hash: `hash${n}`,
      userId,
      purpose: 'verify',
      createdAt: iso(0),
      expiresAt: iso(3_600_000),
      usedAt: null,
    })),
};

/** A WireGuard-shaped public key (32 bytes of `n`, base64). */
export const key = (n: number) => Buffer.alloc(32, n).toString('base64');
