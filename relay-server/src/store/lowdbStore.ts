import { chmod, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { Journal, type Change } from './journal.js';
import {
  emptyData,
  StoreConflictError,
  StoreLimitError,
  type Collection,
  type DomainRecord,
  type EmailTokenRecord,
  type InstanceRecord,
  type RefreshTokenRecord,
  type Store,
  type StoreData,
  type UserRecord,
} from './types.js';

interface Snapshot {
  version: 1;
  seq: number;
  data: StoreData;
}

export interface LowdbStoreOptions {
  /** How often a dirty store is written to its snapshot file. */
  snapshotIntervalMs?: number;
  /** Expired email and refresh tokens are dropped this long after expiry. */
  retainExpiredMs?: number;
}

export interface StoreStats {
  snapshotWrites: number;
  journalBatches: number;
}

const clone = <T>(v: T): T => structuredClone(v);

/** Throws if another live process holds the data dir. */
async function lock(dir: string): Promise<string> {
  const file = path.join(dir, 'store.lock');
  const other = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  if (other && other !== process.pid) {
    let alive = true;
    try {
      process.kill(other, 0);
    } catch {
      alive = false;
    }
    if (alive) throw new Error(`The data dir ${dir} is in use by process ${other}; stop it first.`);
  }
  await writeFile(file, String(process.pid), { mode: 0o600 });
  return file;
}

/**
 * The embedded store: all data in memory, a lowdb JSON snapshot (atomic rename writes) and an
 * append-only journal. Every acknowledged write is in the journal before its promise
 * resolves; the snapshot is rewritten at most once per interval, so a burst of heartbeats
 * costs one small append per batch instead of a whole-file rewrite per request.
 */
export class LowdbStore implements Store {
  private data: StoreData = emptyData();
  private seq = 0;
  private dirty = false;
  private journal!: Journal;
  private timer: NodeJS.Timeout | null = null;
  private snapshotting: Promise<void> | null = null;
  private closed = false;
  readonly stats: StoreStats = { snapshotWrites: 0, journalBatches: 0 };

  // Unique indexes; the values are primary keys.
  private byEmail = new Map<string, string>();
  private byCustomer = new Map<string, string>();
  private bySubdomain = new Map<string, string>();
  private byTunnelIp = new Map<string, string>();
  private byPublicKey = new Map<string, string>();

  private constructor(
    private readonly dir: string,
    private readonly db: Low<Snapshot>,
    private readonly options: Required<LowdbStoreOptions>,
  ) {}

  static async open(dir: string, options: LowdbStoreOptions = {}): Promise<LowdbStore> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await lock(dir);
    const db = new Low<Snapshot>(new JSONFile(path.join(dir, 'store.json')), {
      version: 1,
      seq: 0,
      data: emptyData(),
    });
    const store = new LowdbStore(dir, db, {
      snapshotIntervalMs: options.snapshotIntervalMs ?? 1000,
      retainExpiredMs: options.retainExpiredMs ?? 24 * 60 * 60 * 1000,
    });
    await store.load();
    return store;
  }

  private async load(): Promise<void> {
    await this.db.read();
    this.data = { ...emptyData(), ...this.db.data.data };
    this.seq = this.db.data.seq;
    const segments = await Journal.segments(this.dir);
    for (const file of segments) {
      for (const entry of await Journal.read(file)) {
        if (entry.seq <= this.seq) continue;
        for (const change of entry.changes) this.apply(change);
        this.seq = entry.seq;
      }
    }
    this.reindex();
    // Fold the replayed journal into a fresh snapshot, then start a new segment.
    this.journal = await Journal.create(this.dir, this.seq + 1);
    await this.writeSnapshot(segments);
    this.timer = setInterval(() => void this.snapshot(), this.options.snapshotIntervalMs);
    this.timer.unref();
  }

  private reindex(): void {
    this.byEmail.clear();
    this.byCustomer.clear();
    this.bySubdomain.clear();
    this.byTunnelIp.clear();
    this.byPublicKey.clear();
    for (const u of Object.values(this.data.users)) this.indexUser(u);
    for (const i of Object.values(this.data.instances)) this.indexInstance(i);
  }

  private indexUser(u: UserRecord): void {
    this.byEmail.set(u.email, u.id);
    if (u.stripeCustomerId) this.byCustomer.set(u.stripeCustomerId, u.id);
  }
  private unindexUser(u: UserRecord): void {
    this.byEmail.delete(u.email);
    if (u.stripeCustomerId) this.byCustomer.delete(u.stripeCustomerId);
  }
  private indexInstance(i: InstanceRecord): void {
    this.bySubdomain.set(i.subdomain, i.id);
    this.byTunnelIp.set(i.tunnelIp, i.id);
    if (i.publicKey) this.byPublicKey.set(i.publicKey, i.id);
  }
  private unindexInstance(i: InstanceRecord): void {
    this.bySubdomain.delete(i.subdomain);
    this.byTunnelIp.delete(i.tunnelIp);
    if (i.publicKey) this.byPublicKey.delete(i.publicKey);
  }

  private apply([collection, key, value]: Change): void {
    const table = this.data[collection] as Record<string, unknown>;
    if (value === null) delete table[key];
    else table[key] = value;
  }

  /** Apply changes in memory at once, then wait until they are in the journal. */
  private commit(changes: Change[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('The store is closed'));
    for (const c of changes) this.apply(c);
    this.seq += 1;
    this.dirty = true;
    return this.journal.append({ seq: this.seq, changes });
  }

  private put<C extends Collection>(c: C, key: string, value: StoreData[C][string]): Change {
    return [c, key, clone(value)];
  }

  private async writeSnapshot(oldSegments: string[]): Promise<void> {
    this.prune();
    this.db.data = { version: 1, seq: this.seq, data: this.data };
    this.dirty = false;
    await this.db.write();
    // The snapshot holds password hashes: owner-only, like the data dir itself.
    await chmod(path.join(this.dir, 'store.json'), 0o600);
    this.stats.snapshotWrites += 1;
    await Journal.remove(oldSegments.filter((f) => f !== this.journal.file));
  }

  /** Write the snapshot if anything changed, rotating the journal so old segments can go. */
  async snapshot(): Promise<void> {
    if (this.snapshotting) return this.snapshotting;
    if (!this.dirty || this.closed) return;
    this.snapshotting = (async () => {
      const old = this.journal;
      this.journal = await Journal.create(this.dir, this.seq + 1);
      // Everything up to this.seq is in `old` or in memory; the snapshot below holds it all.
      const segments = await Journal.segments(this.dir);
      await this.writeSnapshot(segments);
      await old.close();
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

  private getUser(id: string): UserRecord | null {
    return this.data.users[id] ?? null;
  }
  private getInstance(id: string): InstanceRecord | null {
    return this.data.instances[id] ?? null;
  }

  users: Store['users'] = {
    create: async (user) => {
      if (this.byEmail.has(user.email)) throw new StoreConflictError('email');
      if (user.stripeCustomerId && this.byCustomer.has(user.stripeCustomerId)) {
        throw new StoreConflictError('stripeCustomerId');
      }
      const rec = clone(user);
      this.indexUser(rec);
      await this.commit([this.put('users', rec.id, rec)]);
      return clone(rec);
    },
    get: async (id) => clone(this.getUser(id)),
    findByEmail: async (email) => clone(this.getUser(this.byEmail.get(email) ?? '')),
    findByStripeCustomer: async (customerId) =>
      clone(this.getUser(this.byCustomer.get(customerId) ?? '')),
    update: async (id, patch) => {
      const cur = this.getUser(id);
      if (!cur) return null;
      const next: UserRecord = { ...cur, ...clone(patch), id };
      if (next.email !== cur.email && this.byEmail.has(next.email))
        throw new StoreConflictError('email');
      if (
        next.stripeCustomerId &&
        next.stripeCustomerId !== cur.stripeCustomerId &&
        this.byCustomer.has(next.stripeCustomerId)
      ) {
        throw new StoreConflictError('stripeCustomerId');
      }
      this.unindexUser(cur);
      this.indexUser(next);
      await this.commit([this.put('users', id, next)]);
      return clone(next);
    },
  };

  refreshTokens: Store['refreshTokens'] = {
    create: async (token) => {
      await this.commit([this.put('refreshTokens', token.id, token)]);
    },
    get: async (id) => clone(this.data.refreshTokens[id] ?? null),
    use: async (id, at) => {
      const cur = this.data.refreshTokens[id];
      if (!cur || cur.usedAt || cur.revokedAt) return false;
      await this.commit([this.put('refreshTokens', id, { ...cur, usedAt: at })]);
      return true;
    },
    revokeFamily: async (familyId, at) => {
      const changes = Object.values(this.data.refreshTokens)
        .filter((t) => t.familyId === familyId && !t.revokedAt)
        .map((t) => this.put('refreshTokens', t.id, { ...t, revokedAt: at }));
      if (changes.length) await this.commit(changes);
    },
    revokeAllForUser: async (userId, at) => {
      const changes = Object.values(this.data.refreshTokens)
        .filter((t) => t.userId === userId && !t.revokedAt)
        .map((t) => this.put('refreshTokens', t.id, { ...t, revokedAt: at }));
      if (changes.length) await this.commit(changes);
    },
  };

  emailTokens: Store['emailTokens'] = {
    create: async (token) => {
      await this.commit([this.put('emailTokens', token.hash, token)]);
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
      await this.commit([this.put('emailTokens', hash, used)]);
      return clone(used);
    },
    invalidateForUser: async (userId, purpose, at) => {
      const changes = Object.values(this.data.emailTokens)
        .filter((t) => t.userId === userId && t.purpose === purpose && !t.usedAt)
        .map((t) => this.put('emailTokens', t.hash, { ...t, usedAt: at }));
      if (changes.length) await this.commit(changes);
    },
  };

  instances: Store['instances'] = {
    create: async (instance, { maxPerUser }) => {
      if (this.bySubdomain.has(instance.subdomain)) throw new StoreConflictError('subdomain');
      if (this.byTunnelIp.has(instance.tunnelIp)) throw new StoreConflictError('tunnelIp');
      if (instance.publicKey && this.byPublicKey.has(instance.publicKey)) {
        throw new StoreConflictError('publicKey');
      }
      const owned = Object.values(this.data.instances).filter((i) => i.userId === instance.userId);
      if (owned.length >= maxPerUser) throw new StoreLimitError('instances', maxPerUser);
      const rec = clone(instance);
      this.indexInstance(rec);
      await this.commit([this.put('instances', rec.id, rec)]);
      return clone(rec);
    },
    get: async (id) => clone(this.getInstance(id)),
    listByUser: async (userId) =>
      clone(
        Object.values(this.data.instances)
          .filter((i) => i.userId === userId)
          .sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
      ),
    countByUser: async (userId) =>
      Object.values(this.data.instances).filter((i) => i.userId === userId).length,
    findBySubdomain: async (subdomain) =>
      clone(this.getInstance(this.bySubdomain.get(subdomain) ?? '')),
    findByTunnelIp: async (ip) => clone(this.getInstance(this.byTunnelIp.get(ip) ?? '')),
    update: async (id, patch) => {
      const cur = this.getInstance(id);
      if (!cur) return null;
      const next: InstanceRecord = { ...cur, ...clone(patch), id, userId: cur.userId };
      const owner = (m: Map<string, string>, k: string | null) => (k ? m.get(k) : undefined);
      const subOwner = owner(this.bySubdomain, next.subdomain);
      if (subOwner && subOwner !== id) throw new StoreConflictError('subdomain');
      const ipOwner = owner(this.byTunnelIp, next.tunnelIp);
      if (ipOwner && ipOwner !== id) throw new StoreConflictError('tunnelIp');
      const keyOwner = owner(this.byPublicKey, next.publicKey);
      if (keyOwner && keyOwner !== id) throw new StoreConflictError('publicKey');
      this.unindexInstance(cur);
      this.indexInstance(next);
      await this.commit([this.put('instances', id, next)]);
      return clone(next);
    },
    touch: async (id, lastSeen) => {
      const cur = this.getInstance(id);
      if (!cur) return null;
      const next: InstanceRecord = { ...cur, lastSeen, status: 'connected' };
      await this.commit([['instances', id, next]]);
      return { ...next };
    },
    delete: async (id) => {
      const cur = this.getInstance(id);
      if (!cur) return null;
      const domains = Object.values(this.data.domains).filter((d) => d.instanceId === id);
      this.unindexInstance(cur);
      await this.commit([
        ['instances', id, null],
        ...domains.map((d): Change => ['domains', d.domain, null]),
      ]);
      return { instance: cur, domains };
    },
    usedTunnelIps: async () => new Set(this.byTunnelIp.keys()),
    listRegistered: async () =>
      clone(Object.values(this.data.instances).filter((i) => i.publicKey !== null)),
    count: async () => Object.keys(this.data.instances).length,
  };

  domains: Store['domains'] = {
    create: async (domain, { maxPerInstance }) => {
      if (this.data.domains[domain.domain]) throw new StoreConflictError('domain');
      const owned = Object.values(this.data.domains).filter(
        (d) => d.instanceId === domain.instanceId,
      );
      if (owned.length >= maxPerInstance) throw new StoreLimitError('domains', maxPerInstance);
      await this.commit([this.put('domains', domain.domain, domain)]);
      return clone(domain);
    },
    get: async (domain) => clone(this.data.domains[domain] ?? null),
    listByInstance: async (instanceId) =>
      clone(
        Object.values(this.data.domains)
          .filter((d) => d.instanceId === instanceId)
          .sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
      ),
    listVerified: async () =>
      clone(Object.values(this.data.domains).filter((d) => d.status === 'verified')),
    update: async (domain, patch) => {
      const cur = this.data.domains[domain];
      if (!cur) return null;
      const next: DomainRecord = {
        ...cur,
        ...clone(patch),
        domain,
        instanceId: cur.instanceId,
        userId: cur.userId,
      };
      await this.commit([this.put('domains', domain, next)]);
      return clone(next);
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
      await this.commit([this.put('webhookEvents', event.id, event)]);
    },
  };

  async ping(): Promise<void> {
    if (this.closed) throw new Error('The store is closed');
  }

  async dump(): Promise<StoreData> {
    return clone(this.data);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    await this.snapshotting;
    this.dirty = true;
    const segments = await Journal.segments(this.dir);
    await this.journal.close();
    await this.writeSnapshot(segments);
    await Journal.remove([this.journal.file]);
    this.closed = true;
    await unlink(path.join(this.dir, 'store.lock')).catch(() => undefined);
  }
}

export type { RefreshTokenRecord };
