import { writeSync } from 'node:fs';
import { open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Collection } from './types.js';

/**
 * One change: put a whole record (value), delete it (value null), or merge a few fields into
 * an existing record ('merge': a heartbeat journals its two fields, not the whole record).
 */
export type Change =
  | [collection: Collection, key: string, value: unknown]
  | [collection: Collection, key: string, fields: Record<string, unknown>, kind: 'merge'];
export interface JournalEntry {
  seq: number;
  changes: Change[];
}

const SEGMENT = /^journal-(\d+)\.ndjson$/;

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * Append-only log of changes between snapshots, one JSON line per commit. Appends are
 * group-committed: every entry appended during one turn of the event loop goes out in one
 * write at the end of that turn (setImmediate), and each caller's promise resolves once its
 * line is in the file, so a `kill -9` after that cannot lose it (the page cache outlives
 * the process; like lowdb, there is no fsync).
 *
 * The write is synchronous on purpose: a few kilobytes into the page cache take
 * microseconds, while a round trip through libuv's thread pool (shared with crypto and
 * every other fs call) adds milliseconds under load to every acknowledged heartbeat. Lines
 * reach the file in commit order, also across a rotation (a new segment first drains the
 * one before it), so an acknowledged line never depends on an earlier line that is missing.
 *
 * A failed write is final: it and every later append reject, because a line after a torn one
 * could not be read back. The store then stops taking writes (fail-stop) rather than
 * acknowledge changes it cannot replay.
 */
export class Journal {
  private pending: string[] = [];
  private waiters: Waiter[] = [];
  private scheduled = false;
  private failure: unknown = null;
  private closed = false;

  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    /** The segment before this one; it is drained before this one writes. */
    private previous: Journal | null,
    private readonly onBatch: (entries: number, bytes: number) => void,
  ) {}

  /**
   * Start segment number `segment` (a new file; an existing one is an error, never appended
   * to). With `previous`, this segment's first write waits until `previous` is drained.
   */
  static async create(
    dir: string,
    segment: number,
    options: { previous?: Journal; onBatch: (entries: number, bytes: number) => void },
  ): Promise<Journal> {
    const file = path.join(dir, `journal-${String(segment).padStart(12, '0')}.ndjson`);
    const handle = await open(file, 'wx', 0o600);
    return new Journal(file, handle, options.previous ?? null, options.onBatch);
  }

  /** Queue one entry; resolves once its line is in the file. */
  append(entry: JournalEntry): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('The journal segment is closed'));
    this.pending.push(`${JSON.stringify(entry)}\n`);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.scheduled) {
      this.scheduled = true;
      // Let every change made in this turn of the event loop join the batch.
      setImmediate(() => this.flush());
    }
    return done;
  }

  /** Write everything pending now, in one write. */
  private flush(): void {
    this.scheduled = false;
    const previous = this.previous;
    if (previous) {
      this.previous = null;
      previous.flush();
      this.failure ??= previous.failure;
      previous.close().catch(() => undefined); // its failure is now this segment's
    }
    if (this.pending.length === 0) return;
    const batch = Buffer.from(this.pending.join(''));
    const waiters = this.waiters;
    this.pending = [];
    this.waiters = [];
    if (this.failure === null) {
      try {
        // A short write is possible (disk full); loop so a line is never left half written
        // while the caller is told it succeeded.
        let offset = 0;
        while (offset < batch.length) {
          offset += writeSync(this.handle.fd, batch, offset, batch.length - offset);
        }
        this.onBatch(waiters.length, batch.length);
      } catch (e) {
        this.failure = e;
      }
    }
    if (this.failure === null) for (const w of waiters) w.resolve();
    else for (const w of waiters) w.reject(this.failure);
  }

  /** Write what is queued, then close the file. Idempotent; rejects if a write failed. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.flush();
      this.closed = true;
      await this.handle.close();
    }
    if (this.failure !== null) throw this.failure;
  }

  /** Segment files in the data dir, oldest first. */
  static async segments(dir: string): Promise<string[]> {
    const names = (await readdir(dir)).filter((n) => SEGMENT.test(n)).sort();
    return names.map((n) => path.join(dir, n));
  }

  /** The number the next new segment should take: one past the highest on disk. */
  static nextSegmentNumber(files: string[]): number {
    let max = 0;
    for (const f of files) {
      const m = SEGMENT.exec(path.basename(f));
      if (m?.[1]) max = Math.max(max, Number(m[1]));
    }
    return max + 1;
  }

  /**
   * Entries of a segment up to the first unreadable line. Only the last line can be torn (a
   * write cut short by a crash); it was never acknowledged, so it is skipped.
   */
  static async read(file: string): Promise<JournalEntry[]> {
    const text = await readFile(file, 'utf8');
    const entries: JournalEntry[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let entry: JournalEntry;
      try {
        entry = JSON.parse(line) as JournalEntry;
      } catch {
        break;
      }
      if (typeof entry?.seq !== 'number' || !Array.isArray(entry.changes)) break;
      entries.push(entry);
    }
    return entries;
  }

  static async remove(files: string[]): Promise<void> {
    await Promise.all(files.map((f) => unlink(f).catch(() => undefined)));
  }
}
