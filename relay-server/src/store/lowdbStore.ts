import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Low } from 'lowdb';
import { acquireDataDirLock } from './dataDirLock.js';
import { Journal, type Change } from './journal.js';
import { SnapshotFile } from './snapshotFile.js';
import {
  emptyData,
  StoreConflictError,
  StoreLimitError,
  type Collection,
  releaseKey,
  type DomainRecord,
  type DomainReleaseRecord,
  type EmailTokenRecord,
  type InstanceRecord,
  type Store,
  type StoreData,
  type UserRecord,
} from './types.js';

interface Snapshot {
  version: 1;
  /** The last journal entry whose changes this snapshot holds. */
  seq: number;
  data: StoreData;
}

export interface LowdbStoreOptions {
  /**
   * How often the store considers rewriting its snapshot file; it is rewritten at most once
   * per interval, and only when it changed and either the journal written since the last
   * snapshot is as large as that snapshot or the snapshot is `snapshotMaxAgeMs` old.
   */
  snapshotIntervalMs?: number;
  /** A changed store's snapshot is rewritten at least this often. */
  snapshotMaxAgeMs?: number;
  /** Expired email and refresh tokens are dropped this long after expiry. */
  retainExpiredMs?: number;
}

/** Counters that show what the store did to its files (tests and the benchmark read them). */
export interface StoreStats {
  /** Times the snapshot file (`store.json`) was rewritten. */
  snapshotWrites: number;
  snapshotFailures: number;
  /** Size of the last snapshot written, in bytes. */
  snapshotBytes: number;
  /** Appends to the journal (one write each, holding one or more commits). */
  journalBatches: number;
  /** Commits written to the journal. */
  journalEntries: number;
  /** Journal bytes written since the last snapshot. */
  journalBytesSinceSnapshot: number;
}

export { StoreLockedError } from './dataDirLock.js';

const SNAPSHOT_FILE = 'store.json';

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

const byCreated = <T extends { createdAt: string }>(a: T, b: T) =>
  a.createdAt.localeCompare(b.createdAt);

/**
 * The embedded store: all data in memory, a lowdb JSON snapshot and an append-only journal.
 * Every acknowledged write is in the journal before its promise resolves. The snapshot is
 * rewritten at most once per interval (1 s), when the journal since the last one has grown
 * to the snapshot's size or the snapshot is 30 s old; each rewrite starts a new journal
 * segment so the old ones can go. A burst of heartbeats thus costs one small append per
 * event-loop turn, never a whole-file rewrite per request. Opening replays the journal on top
 * of the snapshot, so a restart after `kill -9` keeps every acknowledged write.
 */
export class LowdbStore implements Store {
  private data: StoreData = emptyData();
  private seq = 0;
  private dirty = false;
  private journal!: Journal;
  private nextSegment = 1;
  private timer: NodeJS.Timeout | null = null;
  private snapshotting: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  /** Set when a journal write failed: the store then refuses every write (fail-stop). */
  private failure: unknown = null;
  readonly stats: StoreStats = {
    snapshotWrites: 0,
    snapshotFailures: 0,
    snapshotBytes: 0,
    journalBatches: 0,
    journalEntries: 0,
    journalBytesSinceSnapshot: 0,
  };
  private lastSnapshotAt = 0;

  // Unique indexes (value → primary key) and owner indexes (owner → primary keys).
  private byEmail = new Map<string, string>();
  private byCustomer = new Map<string, string>();
  private bySubdomain = new Map<string, string>();
  private byTunnelIp = new Map<string, string>();
  private byPublicKey = new Map<string, string>();
  private instancesByUser = new Map<string, Set<string>>();
  private domainsByInstance = new Map<string, Set<string>>();
  private releasesByInstance = new Map<string, Set<string>>();

  private constructor(
    private readonly dir: string,
    private readonly db: Low<Snapshot>,
    private readonly file: SnapshotFile<Snapshot>,
    private readonly options: Required<LowdbStoreOptions>,
    private readonly unlock: () => Promise<void>,
  ) {}

  /** Open (or create) the store in `dir`; refuses a dir another live process holds. */
  static async open(dir: string, options: LowdbStoreOptions = {}): Promise<LowdbStore> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const unlock = await acquireDataDirLock(dir);
    try {
      const file = new SnapshotFile<Snapshot>(path.join(dir, SNAPSHOT_FILE));
      const db = new Low<Snapshot>(file, { version: 1, seq: 0, data: emptyData() });
      const store = new LowdbStore(
        dir,
        db,
        file,
        {
          snapshotIntervalMs: options.snapshotIntervalMs ?? 1000,
          snapshotMaxAgeMs: options.snapshotMaxAgeMs ?? 30_000,
          retainExpiredMs: options.retainExpiredMs ?? 24 * 60 * 60 * 1000,
        },
        unlock,
      );
      await store.load();
      return store;
    } catch (e) {
      await unlock();
      throw e;
    }
  }

  private async load(): Promise<void> {
    await this.db.read();
    const snap = this.db.data;
    if (snap.version !== 1 || typeof snap.seq !== 'number' || typeof snap.data !== 'object') {
      throw new Error(`The data file ${this.file.file} is not a store snapshot this version reads`);
    }
    this.seq = snap.seq;
    for (const collection of Object.keys(emptyData()) as Collection[]) {
      for (const [key, value] of Object.entries(snap.data[collection] ?? {})) {
        this.apply([collection, key, value]);
      }
    }
    const segments = await Journal.segments(this.dir);
    this.replay(await Promise.all(segments.map((f) => Journal.read(f))));
    // Fold the replayed journal into a fresh snapshot, drop the old segments, start anew.
    this.nextSegment = Journal.nextSegmentNumber(segments);
    await this.writeSnapshot();
    await Journal.remove(segments);
    this.journal = await this.newJournal();
    this.timer = setInterval(() => {
      // Rewriting costs the whole data set, replay costs the journal: rewrite once the
      // journal is as large as the snapshot, or when the snapshot gets old.
      const grown = this.stats.journalBytesSinceSnapshot >= this.stats.snapshotBytes;
      const old = Date.now() - this.lastSnapshotAt >= this.options.snapshotMaxAgeMs;
      if (!grown && !old) return;
      this.snapshot().catch(() => undefined); // counted in stats; the journal still holds it all
    }, this.options.snapshotIntervalMs);
    this.timer.unref();
  }

  /** Apply entries newer than the snapshot, in order, stopping at the first gap. */
  private replay(segments: Awaited<ReturnType<typeof Journal.read>>[]): void {
    for (const entries of segments) {
      for (const entry of entries) {
        if (entry.seq <= this.seq) continue;
        // Lines are written in seq order, so nothing after a missing one was acknowledged.
        if (entry.seq !== this.seq + 1) return;
        for (const change of entry.changes) this.apply(change);
        this.seq = entry.seq;
      }
    }
  }

  private newJournal(previous?: Journal): Promise<Journal> {
    const segment = this.nextSegment++;
    return Journal.create(this.dir, segment, {
      ...(previous ? { previous } : {}),
      onBatch: (entries, bytes) => {
        this.stats.journalBatches += 1;
        this.stats.journalEntries += entries;
        this.stats.journalBytesSinceSnapshot += bytes;
      },
    });
  }

  /** Put, merge or delete one record in memory, keeping every index in step. */
  private apply(change: Change): void {
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

  /**
   * Apply changes in memory at once (so the checks of the next call see them), then wait
   * until they are in the journal. Callers do all their checks synchronously before this,
   * which makes each store method atomic.
   */
  private commit(changes: Change[]): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failed());
    if (this.closing) return Promise.reject(new Error('The store is closed'));
    for (const c of changes) this.apply(c);
    this.seq += 1;
    this.dirty = true;
    return this.journal.append({ seq: this.seq, changes }).catch((e: unknown) => {
      this.failure ??= e;
      throw this.failed();
    });
  }

  private failed(): Error {
    const cause = this.failure instanceof Error ? this.failure.message : String(this.failure);
    return new Error(`The store cannot write its journal (${cause}); restart the relay`);
  }

  private async writeSnapshot(): Promise<void> {
    this.prune();
    this.db.data = { version: 1, seq: this.seq, data: this.data };
    this.dirty = false;
    const journalBytes = this.stats.journalBytesSinceSnapshot;
    this.stats.journalBytesSinceSnapshot = 0;
    try {
      await this.db.write();
    } catch (e) {
      this.dirty = true;
      this.stats.journalBytesSinceSnapshot += journalBytes;
      this.stats.snapshotFailures += 1;
      throw e;
    }
    this.lastSnapshotAt = Date.now();
    this.stats.snapshotWrites += 1;
    this.stats.snapshotBytes = this.file.lastBytes;
  }

  /**
   * Write the snapshot now if anything changed (the timer calls this once per interval). It
   * starts a new journal segment first; once the snapshot is on disk the older ones go.
   */
  snapshot(): Promise<void> {
    if (this.snapshotting) return this.snapshotting;
    if (!this.dirty || this.closing || this.failure !== null) return Promise.resolve();
    this.snapshotting = (async () => {
      const previous = this.journal;
      const next = await this.newJournal(previous);
      this.journal = next;
      // Write what the old segment still holds now, before anything can reach the new one.
      previous.close().catch(() => undefined); // a failure reaches its writers and the store

      // Every entry in the older segments is in memory now, so in the snapshot below.
      const older = (await Journal.segments(this.dir)).filter((f) => f !== next.file);
      await this.writeSnapshot();
      await Journal.remove(older);
    })().finally(() => {
      this.snapshotting = null;
    });
    return this.snapshotting;
  }

  private prune(): void {
    const cutoff = Date.now() - this.options.retainExpiredMs;
    for (const [k, t] of Object.entries(this.data.emailTokens)) {
      if (Date.parse(t.expiresAt) < cutoff) delete this.data.emailTokens[k];
    }
    for (const [k, t] of Object.entries(this.data.refreshTokens)) {
      if (Date.parse(t.expiresAt) < cutoff) delete this.data.refreshTokens[k];
    }
  }

  private ownedInstances(userId: string): InstanceRecord[] {
    const ids = this.instancesByUser.get(userId) ?? new Set<string>();
    return [...ids].flatMap((id) => this.data.instances[id] ?? []);
  }

  private ownedDomains(instanceId: string): DomainRecord[] {
    const names = this.domainsByInstance.get(instanceId) ?? new Set<string>();
    return [...names].flatMap((d) => this.data.domains[d] ?? []);
  }

  private ownedReleases(instanceId: string): DomainReleaseRecord[] {
    const keys = this.releasesByInstance.get(instanceId) ?? new Set<string>();
    return [...keys].flatMap((k) => this.data.domainReleases[k] ?? []);
  }

  /** The change that drops the instance's notice for a name it claims again, if it has one. */
  private clearRelease(instanceId: string, domain: string): Change[] {
    const key = releaseKey(instanceId, domain);
    return this.data.domainReleases[key] ? [['domainReleases', key, null]] : [];
  }

  users: Store['users'] = {
    create: async (user) => {
      if (this.data.users[user.id]) throw new StoreConflictError('id');
      if (this.byEmail.has(user.email)) throw new StoreConflictError('email');
      if (user.stripeCustomerId && this.byCustomer.has(user.stripeCustomerId)) {
        throw new StoreConflictError('stripeCustomerId');
      }
      const rec = structuredClone(user);
      await this.commit([['users', rec.id, rec]]);
      return structuredClone(rec);
    },
    get: async (id) => copyUser(this.data.users[id]),
    findByEmail: async (email) => copyUser(this.data.users[this.byEmail.get(email) ?? '']),
    findByStripeCustomer: async (customerId) =>
      copyUser(this.data.users[this.byCustomer.get(customerId) ?? '']),
    update: async (id, patch) => {
      const cur = this.data.users[id];
      if (!cur) return null;
      const next: UserRecord = { ...cur, ...defined(patch), id };
      const emailOwner = this.byEmail.get(next.email);
      if (emailOwner && emailOwner !== id) throw new StoreConflictError('email');
      const customerOwner = next.stripeCustomerId && this.byCustomer.get(next.stripeCustomerId);
      if (customerOwner && customerOwner !== id) throw new StoreConflictError('stripeCustomerId');
      await this.commit([['users', id, next]]);
      return structuredClone(next);
    },
  };

  refreshTokens: Store['refreshTokens'] = {
    create: async (token) => {
      if (this.data.refreshTokens[token.id]) throw new StoreConflictError('id');
      await this.commit([['refreshTokens', token.id, copy(token)]]);
    },
    get: async (id) => copyOrNull(this.data.refreshTokens[id]),
    use: async (id, at) => {
      const cur = this.data.refreshTokens[id];
      if (!cur || cur.usedAt || cur.revokedAt) return false;
      await this.commit([['refreshTokens', id, { ...cur, usedAt: at }]]);
      return true;
    },
    revokeFamily: async (familyId, at) => {
      const changes = Object.values(this.data.refreshTokens)
        .filter((t) => t.familyId === familyId && !t.revokedAt)
        .map((t): Change => ['refreshTokens', t.id, { ...t, revokedAt: at }]);
      if (changes.length) await this.commit(changes);
    },
    revokeAllForUser: async (userId, at) => {
      const changes = Object.values(this.data.refreshTokens)
        .filter((t) => t.userId === userId && !t.revokedAt)
        .map((t): Change => ['refreshTokens', t.id, { ...t, revokedAt: at }]);
      if (changes.length) await this.commit(changes);
    },
  };

  emailTokens: Store['emailTokens'] = {
    create: async (token) => {
      if (this.data.emailTokens[token.hash]) throw new StoreConflictError('hash');
      await this.commit([['emailTokens', token.hash, copy(token)]]);
    },
    consume: async (hash, purpose, now) => {
      const cur = this.data.emailTokens[hash];
      if (
        !cur ||
        cur.purpose !== purpose ||
        cur.usedAt ||
        Date.parse(cur.expiresAt) <= Date.parse(now)
      ) {
        return null;
      }
      const used: EmailTokenRecord = { ...cur, usedAt: now };
      await this.commit([['emailTokens', hash, used]]);
      return copy(used);
    },
    invalidateForUser: async (userId, purpose, at) => {
      const changes = Object.values(this.data.emailTokens)
        .filter((t) => t.userId === userId && t.purpose === purpose && !t.usedAt)
        .map((t): Change => ['emailTokens', t.hash, { ...t, usedAt: at }]);
      if (changes.length) await this.commit(changes);
    },
  };

  instances: Store['instances'] = {
    create: async (instance, { maxPerUser }) => {
      if (this.data.instances[instance.id]) throw new StoreConflictError('id');
      if (this.bySubdomain.has(instance.subdomain)) throw new StoreConflictError('subdomain');
      if (this.byTunnelIp.has(instance.tunnelIp)) throw new StoreConflictError('tunnelIp');
      if (instance.publicKey && this.byPublicKey.has(instance.publicKey)) {
        throw new StoreConflictError('publicKey');
      }
      const owned = this.instancesByUser.get(instance.userId)?.size ?? 0;
      if (owned >= maxPerUser) throw new StoreLimitError('instances', maxPerUser);
      const rec = copy(instance);
      await this.commit([['instances', rec.id, rec]]);
      return copy(rec);
    },
    get: async (id) => copyOrNull(this.data.instances[id]),
    listByUser: async (userId) => this.ownedInstances(userId).sort(byCreated).map(copy),
    countByUser: async (userId) => this.instancesByUser.get(userId)?.size ?? 0,
    findBySubdomain: async (subdomain) =>
      copyOrNull(this.data.instances[this.bySubdomain.get(subdomain) ?? '']),
    findByTunnelIp: async (ip) => copyOrNull(this.data.instances[this.byTunnelIp.get(ip) ?? '']),
    update: async (id, patch) => {
      const cur = this.data.instances[id];
      if (!cur) return null;
      const next: InstanceRecord = { ...cur, ...defined(patch), id, userId: cur.userId };
      const taken = (index: Map<string, string>, value: string | null) => {
        const owner = value ? index.get(value) : undefined;
        return owner !== undefined && owner !== id;
      };
      if (taken(this.bySubdomain, next.subdomain)) throw new StoreConflictError('subdomain');
      if (taken(this.byTunnelIp, next.tunnelIp)) throw new StoreConflictError('tunnelIp');
      if (taken(this.byPublicKey, next.publicKey)) throw new StoreConflictError('publicKey');
      await this.commit([['instances', id, next]]);
      return copy(next);
    },
    touch: async (id, lastSeen) => {
      const cur = this.data.instances[id];
      if (!cur) return null;
      // Journal only the two fields: a heartbeat line stays small whatever the record holds.
      const done = this.commit([['instances', id, { lastSeen, status: 'connected' }, 'merge']]);
      const next = copy(this.data.instances[id]!);
      await done;
      return next;
    },
    delete: async (id) => {
      const cur = this.data.instances[id];
      if (!cur) return null;
      const domains = this.ownedDomains(id).sort(byCreated);
      const releases = this.ownedReleases(id);
      await this.commit([
        ['instances', id, null],
        ...domains.map((d): Change => ['domains', d.domain, null]),
        ...releases.map((r): Change => ['domainReleases', releaseKey(id, r.domain), null]),
      ]);
      // Nothing in the store points at these objects any more; they are the caller's.
      return { instance: cur, domains };
    },
    usedTunnelIps: async () => new Set(this.byTunnelIp.keys()),
    listRegistered: async () =>
      Object.values(this.data.instances)
        .filter((i) => i.publicKey !== null)
        .map(copy),
    count: async () => Object.keys(this.data.instances).length,
  };

  domains: Store['domains'] = {
    create: async (domain, { maxPerInstance }) => {
      if (this.data.domains[domain.domain]) throw new StoreConflictError('domain');
      const owned = this.domainsByInstance.get(domain.instanceId)?.size ?? 0;
      if (owned >= maxPerInstance) throw new StoreLimitError('domains', maxPerInstance);
      const rec = copy(domain);
      await this.commit([
        ['domains', rec.domain, rec],
        ...this.clearRelease(rec.instanceId, rec.domain),
      ]);
      return copy(rec);
    },
    get: async (domain) => copyOrNull(this.data.domains[domain]),
    listByInstance: async (instanceId) => this.ownedDomains(instanceId).sort(byCreated).map(copy),
    listVerified: async () =>
      Object.values(this.data.domains)
        .filter((d) => d.status === 'verified')
        .map(copy),
    listPending: async () =>
      Object.values(this.data.domains)
        .filter((d) => d.status === 'pending_verification')
        .sort(byCreated)
        .map(copy),
    release: async (current, notice, claim) => {
      const stored = this.data.domains[current.domain];
      if (!stored || !isDeepStrictEqual(stored, current)) throw new StoreConflictError('domain');
      const changes: Change[] = [['domains', current.domain, null]];
      if (claim) {
        const { record, maxPerInstance } = claim;
        if (record.domain !== current.domain) throw new StoreConflictError('domain');
        const sameInstance = record.instanceId === current.instanceId ? 1 : 0;
        const owned = (this.domainsByInstance.get(record.instanceId)?.size ?? 0) - sameInstance;
        if (owned >= maxPerInstance) throw new StoreLimitError('domains', maxPerInstance);
        changes.push(
          ['domains', record.domain, copy(record)],
          ...this.clearRelease(record.instanceId, record.domain),
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
      await this.commit(changes);
    },
    listReleases: async (instanceId) =>
      this.ownedReleases(instanceId)
        .sort((a, b) => a.releasedAt.localeCompare(b.releasedAt))
        .map(copy),
    deleteRelease: async (instanceId, domain) => {
      const key = releaseKey(instanceId, domain);
      const cur = this.data.domainReleases[key];
      if (!cur) return null;
      await this.commit([['domainReleases', key, null]]);
      return cur;
    },
    update: async (domain, patch) => {
      const cur = this.data.domains[domain];
      if (!cur) return null;
      const next: DomainRecord = {
        ...cur,
        ...defined(patch),
        domain,
        instanceId: cur.instanceId,
        userId: cur.userId,
      };
      await this.commit([['domains', domain, next]]);
      return copy(next);
    },
    delete: async (domain) => {
      const cur = this.data.domains[domain];
      if (!cur) return null;
      await this.commit([['domains', domain, null]]);
      return cur;
    },
  };

  webhookEvents: Store['webhookEvents'] = {
    has: async (id) => id in this.data.webhookEvents,
    record: async (event) => {
      // Stripe may deliver one event twice at once; the first record stands.
      if (this.data.webhookEvents[event.id]) return;
      await this.commit([['webhookEvents', event.id, copy(event)]]);
    },
  };

  async ping(): Promise<void> {
    if (this.failure !== null) throw this.failed();
    if (this.closing) throw new Error('The store is closed');
  }

  async dump(): Promise<StoreData> {
    return structuredClone(this.data);
  }

  /**
   * Refuse new writes, wait for the journal to hold every acknowledged one, write a final
   * snapshot, drop the journal and release the data dir. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer) clearInterval(this.timer);
      try {
        await this.snapshotting?.catch(() => undefined);
        await this.journal.close().catch((e: unknown) => {
          this.failure ??= e;
        });
        // After a journal failure memory may hold changes that were refused; the snapshot
        // and the readable part of the journal stay as they are for the next start.
        if (this.failure === null) {
          const segments = await Journal.segments(this.dir);
          await this.writeSnapshot();
          await Journal.remove(segments);
        }
      } finally {
        await this.unlock();
      }
    })();
    return this.closing;
  }
}
