import type { Change } from './journal.js';
import {
  emptyData,
  type Collection,
  type DomainRecord,
  type DomainReleaseRecord,
  type InstanceRecord,
  type StoreData,
  type UserRecord,
} from './types.js';

function addTo(index: Map<string, Set<string>>, owner: string, key: string): void {
  let set = index.get(owner);
  if (!set) index.set(owner, (set = new Set()));
  set.add(key);
}
function removeFrom(index: Map<string, Set<string>>, owner: string, key: string): void {
  const set = index.get(owner);
  if (!set) return;
  set.delete(key);
  if (set.size === 0) index.delete(owner);
}
function unsetUnique(index: Map<string, string>, value: string | null, key: string): void {
  if (value && index.get(value) === key) index.delete(value);
}

/** Whether two versions of a record have the same values in every indexed field. */
function sameIndexedFields(collection: Collection, a: unknown, b: unknown): boolean {
  if (collection === 'instances') {
    const x = a as InstanceRecord;
    const y = b as InstanceRecord;
    return (
      x.subdomain === y.subdomain &&
      x.tunnelIp === y.tunnelIp &&
      x.publicKey === y.publicKey &&
      x.userId === y.userId
    );
  }
  if (collection === 'users') {
    const x = a as UserRecord;
    const y = b as UserRecord;
    return x.email === y.email && x.stripeCustomerId === y.stripeCustomerId;
  }
  if (collection === 'domains') {
    return (a as DomainRecord).instanceId === (b as DomainRecord).instanceId;
  }
  if (collection === 'domainReleases') {
    return (a as DomainReleaseRecord).instanceId === (b as DomainReleaseRecord).instanceId;
  }
  return true;
}

/**
 * The store's data in memory with its indexes, changed only through `apply`, so every index
 * stays in step with the records: unique indexes (value → primary key) and owner indexes
 * (owner → primary keys). Nothing here touches a file.
 */
export class StoreMemory {
  readonly data: StoreData = emptyData();
  readonly byEmail = new Map<string, string>();
  readonly byCustomer = new Map<string, string>();
  readonly bySubdomain = new Map<string, string>();
  readonly byTunnelIp = new Map<string, string>();
  readonly byPublicKey = new Map<string, string>();
  readonly instancesByUser = new Map<string, Set<string>>();
  readonly domainsByInstance = new Map<string, Set<string>>();
  readonly releasesByInstance = new Map<string, Set<string>>();

  /** Put, merge or delete one record, keeping every index in step. */
  apply(change: Change): void {
    const [collection, key] = change;
    const table = this.data[collection] as Record<string, unknown>;
    const old = table[key];
    let value = change[2];
    if (change[3] === 'merge') {
      if (old === undefined) return; // merged into a record deleted since: nothing to do
      value = { ...(old as object), ...(change[2] as Record<string, unknown>) };
    }
    if (value === null) {
      if (old !== undefined) this.unindex(collection, key, old);
      delete table[key];
      return;
    }
    table[key] = value;
    // A heartbeat changes no indexed field: skip the index churn on the hot path.
    if (old !== undefined && sameIndexedFields(collection, old, value)) return;
    if (old !== undefined) this.unindex(collection, key, old);
    this.index(collection, key, value);
  }

  /**
   * Drop email and refresh tokens that expired before `cutoffMs` (ms since the epoch). No
   * token refers to them and no index holds them, so they go without a journal entry: the
   * next snapshot simply no longer has them.
   */
  pruneExpired(cutoffMs: number): void {
    for (const tokens of [this.data.emailTokens, this.data.refreshTokens]) {
      for (const [k, t] of Object.entries(tokens)) {
        if (Date.parse(t.expiresAt) < cutoffMs) delete tokens[k];
      }
    }
  }

  ownedInstances(userId: string): InstanceRecord[] {
    const ids = this.instancesByUser.get(userId) ?? new Set<string>();
    return [...ids].flatMap((id) => this.data.instances[id] ?? []);
  }

  ownedDomains(instanceId: string): DomainRecord[] {
    const names = this.domainsByInstance.get(instanceId) ?? new Set<string>();
    return [...names].flatMap((d) => this.data.domains[d] ?? []);
  }

  ownedReleases(instanceId: string): DomainReleaseRecord[] {
    const keys = this.releasesByInstance.get(instanceId) ?? new Set<string>();
    return [...keys].flatMap((k) => this.data.domainReleases[k] ?? []);
  }

  private index(collection: Collection, key: string, value: unknown): void {
    if (collection === 'users') {
      const u = value as UserRecord;
      this.byEmail.set(u.email, key);
      if (u.stripeCustomerId) this.byCustomer.set(u.stripeCustomerId, key);
    } else if (collection === 'instances') {
      const i = value as InstanceRecord;
      this.bySubdomain.set(i.subdomain, key);
      this.byTunnelIp.set(i.tunnelIp, key);
      if (i.publicKey) this.byPublicKey.set(i.publicKey, key);
      addTo(this.instancesByUser, i.userId, key);
    } else if (collection === 'domains') {
      addTo(this.domainsByInstance, (value as DomainRecord).instanceId, key);
    } else if (collection === 'domainReleases') {
      addTo(this.releasesByInstance, (value as DomainReleaseRecord).instanceId, key);
    }
  }

  private unindex(collection: Collection, key: string, value: unknown): void {
    if (collection === 'users') {
      const u = value as UserRecord;
      unsetUnique(this.byEmail, u.email, key);
      unsetUnique(this.byCustomer, u.stripeCustomerId, key);
    } else if (collection === 'instances') {
      const i = value as InstanceRecord;
      unsetUnique(this.bySubdomain, i.subdomain, key);
      unsetUnique(this.byTunnelIp, i.tunnelIp, key);
      unsetUnique(this.byPublicKey, i.publicKey, key);
      removeFrom(this.instancesByUser, i.userId, key);
    } else if (collection === 'domains') {
      removeFrom(this.domainsByInstance, (value as DomainRecord).instanceId, key);
    } else if (collection === 'domainReleases') {
      removeFrom(this.releasesByInstance, (value as DomainReleaseRecord).instanceId, key);
    }
  }
}
