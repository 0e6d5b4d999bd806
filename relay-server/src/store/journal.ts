import { open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Collection } from './types.js';

/** One change: put a record (value) or delete it (value null). */
export type Change = [collection: Collection, key: string, value: unknown];
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
 * group-committed: every change made while a write is in flight goes out in the next single
 * write, and each caller's promise resolves once its line is in the file, so a `kill -9`
 * after that cannot lose it. Lines reach the file in commit order, also across a rotation
 * (a new segment writes nothing until the previous one is drained), so an acknowledged line
 * never depends on an earlier line that is missing.
 *
 * A failed write is final: it and every later append reject, because a line after a torn one
 * could not be read back. The store stops taking writes (fail-stop) rather than acknowledge
 * changes it cannot replay.
 */
export class Journal {
  private pending: string[] = [];
  private waiters: Waiter[] = [];
  private flushing: Promise<void> | null = null;
  private failure: unknown = null;
  private closing: Promise<void> | null = null;

  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    /** The segment before this one; it must be drained before this one writes. */
    private readonly previous: Journal | null,
    private readonly onBatch: (entries: number) => void,
  ) {}

  /**
   * Start segment number `segment` (a new file; an existing one is an error, never appended
   * to). With `previous`, this segment's first write waits until `previous` is drained.
   */
  static async create(
    dir: string,
    segment: number,
    options: { previous?: Journal; onBatch?: (entries: number) => void } = {},
  ): Promise<Journal> {
    const file = path.join(dir, `journal-${String(segment).padStart(12, '0')}.ndjson`);
    const handle = await open(file, 'wx', 0o600);
    return new Journal(
      file,
      handle,
      options.previous ?? null,
      options.onBatch ?? (() => undefined),
    );
  }

  /** Queue one entry; resolves once its line is in the file. */
  append(entry: JournalEntry): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error('The journal segment is closed'));
    this.pending.push(`${JSON.stringify(entry)}\n`);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.flushing ??= this.flush();
    return done;
  }

  private async flush(): Promise<void> {
    // Closing the previous segment here, not at creation, leaves it open for appends made
    // until the store switches to this one. Its failure is this segment's failure.
    try {
      await this.previous?.close();
    } catch (e) {
      this.failure ??= e;
    }
    // Let every change made in this turn of the event loop join the batch.
    await new Promise<void>((r) => setImmediate(r));
    while (this.pending.length > 0) {
      const batch = Buffer.from(this.pending.join(''));
      const waiters = this.waiters;
      const entries = this.pending.length;
      this.pending = [];
      this.waiters = [];
      if (this.failure !== null) {
        for (const w of waiters) w.reject(this.failure);
        continue;
      }
      try {
        // A short write is possible (disk full); loop so a line is never left half written
        // while the caller is told it succeeded.
        let offset = 0;
        while (offset < batch.length) {
          const { bytesWritten } = await this.handle.write(batch, offset, batch.length - offset);
          offset += bytesWritten;
        }
        this.onBatch(entries);
        for (const w of waiters) w.resolve();
      } catch (e) {
        this.failure = e;
        for (const w of waiters) w.reject(e);
      }
    }
    this.flushing = null;
  }

  /** Wait for queued writes, then close the file. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      while (this.flushing) await this.flushing;
      await this.handle.close();
      if (this.failure !== null) throw this.failure;
    })();
    return this.closing;
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
