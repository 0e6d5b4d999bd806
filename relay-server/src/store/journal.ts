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

/**
 * Append-only log of changes between snapshots. Appends are group-committed: every change
 * made while a write is in flight goes out in the next single write, and each caller's
 * promise resolves once its line is in the file. A `kill -9` after that cannot lose it.
 */
export class Journal {
  private pending: string[] = [];
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private flushing: Promise<void> | null = null;

  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(dir: string, firstSeq: number): Promise<Journal> {
    const file = path.join(dir, `journal-${String(firstSeq).padStart(12, '0')}.ndjson`);
    return new Journal(file, await open(file, 'a', 0o600));
  }

  append(entry: JournalEntry): Promise<void> {
    this.pending.push(`${JSON.stringify(entry)}\n`);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.flushing ??= this.flush();
    return done;
  }

  private async flush(): Promise<void> {
    // Let every change made in this turn of the event loop join the batch.
    await new Promise<void>((r) => setImmediate(r));
    while (this.pending.length > 0) {
      const batch = this.pending.join('');
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      try {
        await this.handle.write(batch);
        for (const w of waiters) w.resolve();
      } catch (e) {
        for (const w of waiters) w.reject(e);
      }
    }
    this.flushing = null;
  }

  /** Wait for queued writes, then close the file. */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.handle.close();
  }

  /** Segment files in the data dir, oldest first. */
  static async segments(dir: string): Promise<string[]> {
    const names = (await readdir(dir)).filter((n) => SEGMENT.test(n)).sort();
    return names.map((n) => path.join(dir, n));
  }

  /** Entries of a segment; a torn last line (never acknowledged) is skipped. */
  static async read(file: string): Promise<JournalEntry[]> {
    const text = await readFile(file, 'utf8');
    const entries: JournalEntry[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        entries.push(JSON.parse(line) as JournalEntry);
      } catch {
        break;
      }
    }
    return entries;
  }

  static async remove(files: string[]): Promise<void> {
    await Promise.all(files.map((f) => unlink(f).catch(() => undefined)));
  }
}
