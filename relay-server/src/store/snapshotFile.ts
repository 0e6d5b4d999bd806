import { open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Adapter } from 'lowdb';

/**
 * lowdb adapter for the store's snapshot: JSON without indentation (the file is rewritten
 * whole, so every byte costs on each write), written to a temp file then renamed over the
 * old one, as steno does, so a crash leaves either the old or the new file, never half of
 * one. Unlike steno, the temp file is created with mode 0600: the snapshot holds password
 * hashes and must never exist, even for a moment, readable by other users.
 */
export class SnapshotFile<T> implements Adapter<T> {
  private readonly temp: string;
  /** Bytes of the last snapshot written. */
  lastBytes = 0;

  constructor(readonly file: string) {
    this.temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  }

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new Error(`The data file ${this.file} is not valid JSON: ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  async write(data: T): Promise<void> {
    // Stringify before the first await: the file holds the data as it is at this call.
    const text = Buffer.from(JSON.stringify(data));
    const handle = await open(this.temp, 'w', 0o600);
    try {
      // A temp file left by a crash keeps its old mode on open; force owner-only.
      await handle.chmod(0o600);
      await handle.writeFile(text);
    } finally {
      await handle.close();
    }
    await rename(this.temp, this.file);
    this.lastBytes = text.length;
  }
}
