import { chmod, mkdir, open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';
import { TextFile } from 'lowdb/node';

/**
 * lowdb's text file (steno: write a temp file, then rename over the real one) with mode 0600.
 * steno writes its temp file with the default mode, so this creates that temp file first with
 * 0600 (writing into an existing file keeps its mode) and serialises writes itself, so steno
 * never coalesces a write that would skip that step.
 */
export class PrivateTextFile implements Adapter<string> {
  readonly #path: string;
  readonly #temp: string;
  readonly #file: TextFile;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.#path = path;
    // steno's own temp name for `path` (see steno's getTempFilename).
    this.#temp = join(dirname(path), `.${basename(path)}.tmp`);
    this.#file = new TextFile(path);
  }

  read(): Promise<string | null> {
    return this.#file.read();
  }

  write(text: string): Promise<void> {
    const run = async () => {
      await mkdir(dirname(this.#path), { recursive: true, mode: 0o700 });
      const handle = await open(this.#temp, 'w', 0o600);
      try {
        await handle.chmod(0o600); // a leftover temp file from a crash may have any mode
      } finally {
        await handle.close();
      }
      await this.#file.write(text);
      await chmod(this.#path, 0o600);
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}
