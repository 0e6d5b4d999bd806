import { isDeepStrictEqual } from 'node:util';
import type { Change } from './journal.js';
import type { StoreMemory } from './storeMemory.js';
import {
  StoreConflictError,
  StoreLimitError,
  releaseKey,
  type DomainRecord,
  type EmailTokenRecord,
  type InstanceRecord,
  type Store,
  type UserRecord,
} from './types.js';

/** The collections of the Store contract: its queries and its writes. */
export type StoreCollections = Pick<
  Store,
  'users' | 'refreshTokens' | 'emailTokens' | 'instances' | 'domains' | 'webhookEvents'
>;

/** Drop keys whose value is undefined: they would not survive the journal's JSON. */
function defined<T extends object>(patch: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = structuredClone(v);
  }
  return out;
}

// Copies handed out and taken in, so no caller shares an object with the store. Instance,
// domain and token records are flat (primitives only), so a spread is a full copy and keeps
// the heartbeat path cheap; users hold a nested subscription and get a deep copy.
const copy = <T extends object>(v: T): T => ({ ...v });
const copyOrNull = <T extends object>(v: T | undefined): T | null => (v ? { ...v } : null);
const copyUser = (u: UserRecord | undefined): UserRecord | null => (u ? structuredClone(u) : null);

const byCreated = <T extends { createdAt: string }>(a: T, b: T) =>
  a.createdAt.localeCompare(b.createdAt);

/** The change that drops the instance's notice for a name it claims again, if it has one. */
function clearRelease(m: StoreMemory, instanceId: string, domain: string): Change[] {
  const key = releaseKey(instanceId, domain);
  return m.data.domainReleases[key] ? [['domainReleases', key, null]] : [];
}

/**
 * The Store's collections over the records in memory. Each method does all its checks
 * synchronously, then hands its changes to `commit`, which applies them to `m` at once (so the
 * next call's checks see them) and resolves once they are durable: every method is atomic.
 */
export function storeCollections(
  m: StoreMemory,
  commit: (changes: Change[]) => Promise<void>,
): StoreCollections {
  return {
    users: {
      create: async (user) => {
        if (m.data.users[user.id]) throw new StoreConflictError('id');
        if (m.byEmail.has(user.email)) throw new StoreConflictError('email');
        if (user.stripeCustomerId && m.byCustomer.has(user.stripeCustomerId)) {
          throw new StoreConflictError('stripeCustomerId');
        }
        const rec = structuredClone(user);
        await commit([['users', rec.id, rec]]);
        return structuredClone(rec);
      },
      get: async (id) => copyUser(m.data.users[id]),
      findByEmail: async (email) => copyUser(m.data.users[m.byEmail.get(email) ?? '']),
      findByStripeCustomer: async (customerId) =>
        copyUser(m.data.users[m.byCustomer.get(customerId) ?? '']),
      update: async (id, patch) => {
        const cur = m.data.users[id];
        if (!cur) return null;
        const next: UserRecord = { ...cur, ...defined(patch), id };
        const emailOwner = m.byEmail.get(next.email);
        if (emailOwner && emailOwner !== id) throw new StoreConflictError('email');
        const customerOwner = next.stripeCustomerId && m.byCustomer.get(next.stripeCustomerId);
        if (customerOwner && customerOwner !== id) throw new StoreConflictError('stripeCustomerId');
        await commit([['users', id, next]]);
        return structuredClone(next);
      },
    },

    refreshTokens: {
      create: async (token) => {
        if (m.data.refreshTokens[token.id]) throw new StoreConflictError('id');
        await commit([['refreshTokens', token.id, copy(token)]]);
      },
      get: async (id) => copyOrNull(m.data.refreshTokens[id]),
      use: async (id, at) => {
        const cur = m.data.refreshTokens[id];
        if (!cur || cur.usedAt || cur.revokedAt) return false;
        await commit([['refreshTokens', id, { ...cur, usedAt: at }]]);
        return true;
      },
      revokeFamily: async (familyId, at) => {
        const changes = Object.values(m.data.refreshTokens)
          .filter((t) => t.familyId === familyId && !t.revokedAt)
          .map((t): Change => ['refreshTokens', t.id, { ...t, revokedAt: at }]);
        if (changes.length) await commit(changes);
      },
      revokeAllForUser: async (userId, at) => {
        const changes = Object.values(m.data.refreshTokens)
          .filter((t) => t.userId === userId && !t.revokedAt)
          .map((t): Change => ['refreshTokens', t.id, { ...t, revokedAt: at }]);
        if (changes.length) await commit(changes);
      },
    },

    emailTokens: {
      create: async (token) => {
        if (m.data.emailTokens[token.hash]) throw new StoreConflictError('hash');
        await commit([['emailTokens', token.hash, copy(token)]]);
      },
      consume: async (hash, purpose, now) => {
        const cur = m.data.emailTokens[hash];
        if (
          !cur ||
          cur.purpose !== purpose ||
          cur.usedAt ||
          Date.parse(cur.expiresAt) <= Date.parse(now)
        ) {
          return null;
        }
        const used: EmailTokenRecord = { ...cur, usedAt: now };
        await commit([['emailTokens', hash, used]]);
        return copy(used);
      },
      invalidateForUser: async (userId, purpose, at) => {
        const changes = Object.values(m.data.emailTokens)
          .filter((t) => t.userId === userId && t.purpose === purpose && !t.usedAt)
          .map((t): Change => ['emailTokens', t.hash, { ...t, usedAt: at }]);
        if (changes.length) await commit(changes);
      },
    },

    instances: {
      create: async (instance, { maxPerUser }) => {
        if (m.data.instances[instance.id]) throw new StoreConflictError('id');
        if (m.bySubdomain.has(instance.subdomain)) throw new StoreConflictError('subdomain');
        if (m.byTunnelIp.has(instance.tunnelIp)) throw new StoreConflictError('tunnelIp');
        if (instance.publicKey && m.byPublicKey.has(instance.publicKey)) {
          throw new StoreConflictError('publicKey');
        }
        const owned = m.instancesByUser.get(instance.userId)?.size ?? 0;
        if (owned >= maxPerUser) throw new StoreLimitError('instances', maxPerUser);
        const rec = copy(instance);
        await commit([['instances', rec.id, rec]]);
        return copy(rec);
      },
      get: async (id) => copyOrNull(m.data.instances[id]),
      listByUser: async (userId) => m.ownedInstances(userId).sort(byCreated).map(copy),
      countByUser: async (userId) => m.instancesByUser.get(userId)?.size ?? 0,
      findBySubdomain: async (subdomain) =>
        copyOrNull(m.data.instances[m.bySubdomain.get(subdomain) ?? '']),
      findByTunnelIp: async (ip) => copyOrNull(m.data.instances[m.byTunnelIp.get(ip) ?? '']),
      update: async (id, patch) => {
        const cur = m.data.instances[id];
        if (!cur) return null;
        const next: InstanceRecord = { ...cur, ...defined(patch), id, userId: cur.userId };
        const taken = (index: Map<string, string>, value: string | null) => {
          const owner = value ? index.get(value) : undefined;
          return owner !== undefined && owner !== id;
        };
        if (taken(m.bySubdomain, next.subdomain)) throw new StoreConflictError('subdomain');
        if (taken(m.byTunnelIp, next.tunnelIp)) throw new StoreConflictError('tunnelIp');
        if (taken(m.byPublicKey, next.publicKey)) throw new StoreConflictError('publicKey');
        await commit([['instances', id, next]]);
        return copy(next);
      },
      touch: async (id, lastSeen) => {
        const cur = m.data.instances[id];
        if (!cur) return null;
        // Journal only the two fields: a heartbeat line stays small whatever the record holds.
        const done = commit([['instances', id, { lastSeen, status: 'connected' }, 'merge']]);
        const next = copy(m.data.instances[id]!);
        await done;
        return next;
      },
      delete: async (id) => {
        const cur = m.data.instances[id];
        if (!cur) return null;
        const domains = m.ownedDomains(id).sort(byCreated);
        const releases = m.ownedReleases(id);
        await commit([
          ['instances', id, null],
          ...domains.map((d): Change => ['domains', d.domain, null]),
          ...releases.map((r): Change => ['domainReleases', releaseKey(id, r.domain), null]),
        ]);
        // Nothing in the store points at these objects any more; they are the caller's.
        return { instance: cur, domains };
      },
      usedTunnelIps: async () => new Set(m.byTunnelIp.keys()),
      listRegistered: async () =>
        Object.values(m.data.instances)
          .filter((i) => i.publicKey !== null)
          .map(copy),
      count: async () => Object.keys(m.data.instances).length,
    },

    domains: {
      create: async (domain, { maxPerInstance }) => {
        if (m.data.domains[domain.domain]) throw new StoreConflictError('domain');
        const owned = m.domainsByInstance.get(domain.instanceId)?.size ?? 0;
        if (owned >= maxPerInstance) throw new StoreLimitError('domains', maxPerInstance);
        const rec = copy(domain);
        await commit([
          ['domains', rec.domain, rec],
          ...clearRelease(m, rec.instanceId, rec.domain),
        ]);
        return copy(rec);
      },
      get: async (domain) => copyOrNull(m.data.domains[domain]),
      listByInstance: async (instanceId) => m.ownedDomains(instanceId).sort(byCreated).map(copy),
      listVerified: async () =>
        Object.values(m.data.domains)
          .filter((d) => d.status === 'verified')
          .map(copy),
      listPending: async () =>
        Object.values(m.data.domains)
          .filter((d) => d.status === 'pending_verification')
          .sort(byCreated)
          .map(copy),
      release: async (current, notice, claim) => {
        const stored = m.data.domains[current.domain];
        if (!stored || !isDeepStrictEqual(stored, current)) throw new StoreConflictError('domain');
        const changes: Change[] = [['domains', current.domain, null]];
        if (claim) {
          const { record, maxPerInstance } = claim;
          if (record.domain !== current.domain) throw new StoreConflictError('domain');
          const sameInstance = record.instanceId === current.instanceId ? 1 : 0;
          const owned = (m.domainsByInstance.get(record.instanceId)?.size ?? 0) - sameInstance;
          if (owned >= maxPerInstance) throw new StoreLimitError('domains', maxPerInstance);
          changes.push(
            ['domains', record.domain, copy(record)],
            ...clearRelease(m, record.instanceId, record.domain),
          );
        }
        // An instance that claims the name again needs no notice that it lost it.
        if (claim?.record.instanceId !== notice.instanceId) {
          changes.push([
            'domainReleases',
            releaseKey(notice.instanceId, notice.domain),
            copy(notice),
          ]);
        }
        await commit(changes);
      },
      listReleases: async (instanceId) =>
        m
          .ownedReleases(instanceId)
          .sort((a, b) => a.releasedAt.localeCompare(b.releasedAt))
          .map(copy),
      deleteRelease: async (instanceId, domain) => {
        const key = releaseKey(instanceId, domain);
        const cur = m.data.domainReleases[key];
        if (!cur) return null;
        await commit([['domainReleases', key, null]]);
        return cur;
      },
      update: async (domain, patch) => {
        const cur = m.data.domains[domain];
        if (!cur) return null;
        const next: DomainRecord = {
          ...cur,
          ...defined(patch),
          domain,
          instanceId: cur.instanceId,
          userId: cur.userId,
        };
        await commit([['domains', domain, next]]);
        return copy(next);
      },
      delete: async (domain) => {
        const cur = m.data.domains[domain];
        if (!cur) return null;
        await commit([['domains', domain, null]]);
        return cur;
      },
    },

    webhookEvents: {
      has: async (id) => id in m.data.webhookEvents,
      record: async (event) => {
        // Stripe may deliver one event twice at once; the first record stands.
        if (m.data.webhookEvents[event.id]) return;
        await commit([['webhookEvents', event.id, copy(event)]]);
      },
    },
  };
}
