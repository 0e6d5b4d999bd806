import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { systemClock, systemTimers, type Clock, type TimerHandle, type Timers } from '../clock.js';
import { acquireDataDirLock } from './dataDirLock.js';
import { Journal, type Change } from './journal.js';
import { SnapshotFile } from './snapshotFile.js';
import { storeCollections, type StoreCollections } from './storeCollections.js';
import { StoreMemory } from './storeMemory.js';
import { emptyData, type Collection, type Store, type StoreData } from './types.js';

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
  /** What the snapshot's age and token expiry are measured by (the relay's clock). */
  clock?: Clock;
  /** What schedules the snapshot checks; tests pass a manual clock's timers. */
  timers?: Timers;
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

/**
 * The embedded store: all data in memory, a lowdb JSON snapshot and an append-only journal.
 * Every acknowledged write is in the journal before its promise resolves. The snapshot is
 * rewritten at most once per interval (1 s), when the journal since the last one has grown
 * to the snapshot's size or the snapshot is 30 s old; each rewrite starts a new journal
 * segment so the old ones can go. A burst of heartbeats thus costs one small append per
 * event-loop turn, never a whole-file rewrite per request. Opening replays the journal on top
 * of the snapshot, so a restart after `kill -9` keeps every acknowledged write.
 *
 * This module is the files' side (open, commit, snapshot, close); the records and their
 * indexes are `StoreMemory`, the Store's queries and writes `storeCollections`.
 */
export class LowdbStore implements Store {
  private readonly memory = new StoreMemory();
  private seq = 0;
  private dirty = false;
  private journal!: Journal;
  private nextSegment = 1;
  private timer: TimerHandle | null = null;
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
  private readonly collections: StoreCollections = storeCollections(this.memory, (changes) =>
    this.commit(changes),
  );
  readonly users = this.collections.users;
  readonly refreshTokens = this.collections.refreshTokens;
  readonly emailTokens = this.collections.emailTokens;
  readonly instances = this.collections.instances;
  readonly domains = this.collections.domains;
  readonly webhookEvents = this.collections.webhookEvents;

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
          clock: options.clock ?? systemClock,
          timers: options.timers ?? systemTimers,
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

  private now(): number {
    return this.options.clock.now().getTime();
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
        this.memory.apply([collection, key, value]);
      }
    }
    const segments = await Journal.segments(this.dir);
    this.replay(await Promise.all(segments.map((f) => Journal.read(f))));
    // Fold the replayed journal into a fresh snapshot, drop the old segments, start anew.
    this.nextSegment = Journal.nextSegmentNumber(segments);
    await this.writeSnapshot();
    await Journal.remove(segments);
    this.journal = await this.newJournal();
    this.timer = this.options.timers.setInterval(() => {
      if (!this.snapshotDue()) return;
      this.snapshot().catch(() => undefined); // counted in stats; the journal still holds it all
    }, this.options.snapshotIntervalMs);
    this.timer.unref();
  }

  /**
   * Rewriting costs the whole data set, replay costs the journal: rewrite once the journal is
   * as large as the snapshot, or when the snapshot gets old.
   */
  private snapshotDue(): boolean {
    const grown = this.stats.journalBytesSinceSnapshot >= this.stats.snapshotBytes;
    const old = this.now() - this.lastSnapshotAt >= this.options.snapshotMaxAgeMs;
    return grown || old;
  }

  /** Apply entries newer than the snapshot, in order, stopping at the first gap. */
  private replay(segments: Awaited<ReturnType<typeof Journal.read>>[]): void {
    for (const entries of segments) {
      for (const entry of entries) {
        if (entry.seq <= this.seq) continue;
        // Lines are written in seq order, so nothing after a missing one was acknowledged.
        if (entry.seq !== this.seq + 1) return;
        for (const change of entry.changes) this.memory.apply(change);
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

  /**
   * Apply changes in memory at once (so the checks of the next call see them), then wait
   * until they are in the journal. Callers do all their checks synchronously before this,
   * which makes each store method atomic.
   */
  private commit(changes: Change[]): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failed());
    if (this.closing) return Promise.reject(new Error('The store is closed'));
    for (const c of changes) this.memory.apply(c);
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
    this.memory.pruneExpired(this.now() - this.options.retainExpiredMs);
    this.db.data = { version: 1, seq: this.seq, data: this.memory.data };
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
    this.lastSnapshotAt = this.now();
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

  /**
   * Resolves once the snapshot under way, if any, is done (written or failed): a test that
   * moves the store's timers on waits here for the rewrite they started.
   */
  async snapshotSettled(): Promise<void> {
    await this.snapshotting?.catch(() => undefined);
  }

  async ping(): Promise<void> {
    if (this.failure !== null) throw this.failed();
    if (this.closing) throw new Error('The store is closed');
  }

  async dump(): Promise<StoreData> {
    return structuredClone(this.memory.data);
  }

  /**
   * Refuse new writes, wait for the journal to hold every acknowledged one, write a final
   * snapshot, drop the journal and release the data dir. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.options.timers.clearInterval(this.timer);
      try {
        await this.snapshotSettled();
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
