import type {
  DomainReleaseReason,
  DomainStatus,
  InstanceStatus,
  Plan,
  SslStatus,
  SubscriptionStatus,
} from '@cloud-connect/agent-core/api';

export interface SubscriptionRecord {
  id: string;
  status: SubscriptionStatus;
  priceId: string | null;
  plan: Plan;
  currentPeriodStart: string | null;
  currentPeriodEnd: string | null;
  cancelAtPeriodEnd: boolean;
  paymentMethodId: string | null;
  paymentMethod: { brand: string; last4: string } | null;
  /** `created` (unix seconds) of the Stripe event that set this state; older events never win. */
  sourceEventCreated: number;
}

export interface UserRecord {
  id: string;
  email: string;
  name: string;
  passwordHash: string;
  createdAt: string;
  emailVerifiedAt: string | null;
  acceptMarketing: boolean;
  termsAcceptedAt: string;
  clientVersion: string | null;
  stripeCustomerId: string | null;
  subscription: SubscriptionRecord | null;
}

export interface RefreshTokenRecord {
  id: string;
  familyId: string;
  userId: string;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
  revokedAt: string | null;
}

export type EmailTokenPurpose = 'verify' | 'reset';

export interface EmailTokenRecord {
  /** sha256 of the token; the token itself is only in the email. */
  hash: string;
  userId: string;
  purpose: EmailTokenPurpose;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
}

export interface InstanceRecord {
  id: string;
  userId: string;
  name: string;
  subdomain: string;
  tunnelIp: string;
  /** The jti that the current instance token must carry; regenerating changes it. */
  tokenId: string;
  publicKey: string | null;
  targetPort: number | null;
  status: InstanceStatus;
  registeredAt: string | null;
  lastSeen: string | null;
  createdAt: string;
}

export interface DomainRecord {
  domain: string;
  instanceId: string;
  userId: string;
  status: DomainStatus;
  sslStatus: SslStatus;
  verifiedAt: string | null;
  lastCheckedAt: string | null;
  lastError: string | null;
  createdAt: string;
  /**
   * When an unverified claim lapses and the name is free for anyone; null while verified.
   * Absent on records written before claims expired (read as createdAt + the pending TTL).
   */
  expiresAt?: string | null;
  /**
   * Set while a domain that was verified has its CNAME pointing away: the end of its grace
   * period (its `expiresAt` too). Such a name is still its owner's and no DNS-proven claim
   * takes it over before then. Null or absent otherwise.
   */
  graceUntil?: string | null;
}

/** What the owner of an instance is told about a domain it no longer holds, until dismissed. */
export interface DomainReleaseRecord {
  domain: string;
  instanceId: string;
  userId: string;
  reason: DomainReleaseReason;
  releasedAt: string;
  /** The released claim's last check result, to say what was wrong. */
  lastError: string | null;
}

export interface WebhookEventRecord {
  id: string;
  type: string;
  processedAt: string;
}

export interface StoreData {
  users: Record<string, UserRecord>;
  refreshTokens: Record<string, RefreshTokenRecord>;
  emailTokens: Record<string, EmailTokenRecord>;
  instances: Record<string, InstanceRecord>;
  domains: Record<string, DomainRecord>;
  /** Keyed by `releaseKey(instanceId, domain)`: one notice per name and instance. */
  domainReleases: Record<string, DomainReleaseRecord>;
  webhookEvents: Record<string, WebhookEventRecord>;
}

/** The key of a release notice: one per instance and name. */
export const releaseKey = (instanceId: string, domain: string) => `${instanceId}/${domain}`;

export type Collection = keyof StoreData;

/** A unique field already holds this value (email, subdomain, tunnel IP, public key, domain). */
export class StoreConflictError extends Error {
  constructor(readonly field: string) {
    super(`${field} is already taken`);
    this.name = 'StoreConflictError';
  }
}

/** A per-owner count limit was reached inside the same atomic write. */
export class StoreLimitError extends Error {
  constructor(
    readonly what: 'instances' | 'domains',
    readonly limit: number,
  ) {
    super(`limit of ${limit} ${what} reached`);
    this.name = 'StoreLimitError';
  }
}

type Patch<T, K extends keyof T> = Partial<Omit<T, K>>;

/**
 * Everything the Cloud API keeps. Methods that must be atomic (uniqueness, limits,
 * single use of a token) are single calls, so a SQL store can map each one to a transaction
 * behind the same contract tests (`testing/storeContract/`).
 *
 * Common rules: records go in and come out as copies (mutating an argument or a result never
 * changes the store); a write's promise resolves only once the write is durable; `update`
 * returns null for an unknown key, ignores `undefined` fields of the patch and never changes
 * the key fields; `create` with an id that exists is a StoreConflictError on `id`.
 */
export interface Store {
  users: {
    /** Conflicts on email and stripeCustomerId. */
    create(user: UserRecord): Promise<UserRecord>;
    get(id: string): Promise<UserRecord | null>;
    findByEmail(email: string): Promise<UserRecord | null>;
    findByStripeCustomer(customerId: string): Promise<UserRecord | null>;
    /** Conflicts on email and stripeCustomerId held by another user. */
    update(id: string, patch: Patch<UserRecord, 'id'>): Promise<UserRecord | null>;
  };
  refreshTokens: {
    create(token: RefreshTokenRecord): Promise<void>;
    get(id: string): Promise<RefreshTokenRecord | null>;
    /**
     * Marks the token used if it was unused and unrevoked; false means it was not. Of any
     * number of concurrent calls for one token, exactly one gets true.
     */
    use(id: string, at: string): Promise<boolean>;
    revokeFamily(familyId: string, at: string): Promise<void>;
    revokeAllForUser(userId: string, at: string): Promise<void>;
  };
  emailTokens: {
    create(token: EmailTokenRecord): Promise<void>;
    /**
     * Marks a valid (right purpose), unexpired, unused token used and returns it; null
     * otherwise. Of any number of concurrent calls for one token, exactly one gets it.
     */
    consume(
      hash: string,
      purpose: EmailTokenPurpose,
      now: string,
    ): Promise<EmailTokenRecord | null>;
    invalidateForUser(userId: string, purpose: EmailTokenPurpose, at: string): Promise<void>;
  };
  instances: {
    /** Conflicts on subdomain, tunnelIp, publicKey; StoreLimitError past maxPerUser. */
    create(instance: InstanceRecord, opts: { maxPerUser: number }): Promise<InstanceRecord>;
    get(id: string): Promise<InstanceRecord | null>;
    /** Oldest first. */
    listByUser(userId: string): Promise<InstanceRecord[]>;
    countByUser(userId: string): Promise<number>;
    findBySubdomain(subdomain: string): Promise<InstanceRecord | null>;
    findByTunnelIp(ip: string): Promise<InstanceRecord | null>;
    /** Conflicts on subdomain, tunnelIp and publicKey held by another instance. */
    update(
      id: string,
      patch: Patch<InstanceRecord, 'id' | 'userId'>,
    ): Promise<InstanceRecord | null>;
    /**
     * The hot path: a heartbeat sets lastSeen and status `connected` (nothing else) without
     * rewriting the data file. Null for an unknown instance.
     */
    touch(id: string, lastSeen: string): Promise<InstanceRecord | null>;
    /**
     * Deletes the instance, its domains and its release notices in one step; returns the
     * instance and domains deleted.
     */
    delete(id: string): Promise<{ instance: InstanceRecord; domains: DomainRecord[] } | null>;
    /** The tunnel IPs of all instances (a fresh set the caller may change). */
    usedTunnelIps(): Promise<Set<string>>;
    /** Instances with a WireGuard public key. */
    listRegistered(): Promise<InstanceRecord[]>;
    count(): Promise<number>;
  };
  domains: {
    /**
     * Conflicts on domain (across all users); StoreLimitError past maxPerInstance. Removes
     * the instance's release notice for the name in the same step (it holds the name again).
     */
    create(domain: DomainRecord, opts: { maxPerInstance: number }): Promise<DomainRecord>;
    get(domain: string): Promise<DomainRecord | null>;
    /** Oldest first. */
    listByInstance(instanceId: string): Promise<DomainRecord[]>;
    listVerified(): Promise<DomainRecord[]>;
    /** Every claim not verified (status `pending_verification`), oldest first. */
    listPending(): Promise<DomainRecord[]>;
    /**
     * In one step: delete `current` and keep `notice` for its instance (replacing an older
     * notice for the name there), and with `claim` give the name to that record (its
     * instance's notice for the name goes; StoreLimitError past `maxPerInstance`). Only while
     * the stored record still equals `current` in every field: otherwise (changed, deleted
     * or re-created meanwhile) a StoreConflictError on `domain` and nothing changes.
     */
    release(
      current: DomainRecord,
      notice: DomainReleaseRecord,
      claim?: { record: DomainRecord; maxPerInstance: number },
    ): Promise<void>;
    /** The instance's release notices, oldest first. */
    listReleases(instanceId: string): Promise<DomainReleaseRecord[]>;
    /** Removes one notice; returns it, or null when there was none. */
    deleteRelease(instanceId: string, domain: string): Promise<DomainReleaseRecord | null>;
    update(
      domain: string,
      patch: Patch<DomainRecord, 'domain' | 'instanceId' | 'userId'>,
    ): Promise<DomainRecord | null>;
    delete(domain: string): Promise<DomainRecord | null>;
  };
  webhookEvents: {
    has(id: string): Promise<boolean>;
    /** Idempotent: recording an id again keeps the first record. */
    record(event: WebhookEventRecord): Promise<void>;
  };
  /** Cheap liveness check for /health. */
  ping(): Promise<void>;
  /** A deep copy of all data, for tests and backups. */
  dump(): Promise<StoreData>;
  /** Flush everything and release the data dir. */
  close(): Promise<void>;
}

export function emptyData(): StoreData {
  return {
    users: {},
    refreshTokens: {},
    emailTokens: {},
    instances: {},
    domains: {},
    domainReleases: {},
    webhookEvents: {},
  };
}
