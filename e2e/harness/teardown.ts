import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Anything a suite opens: a lab, a relay, a stand-in server (close) or a process (stop). */
export type Closable = { close(): Promise<unknown> } | { stop(): Promise<unknown> };

/**
 * What a suite or a GUI world opens (a lab, relays, stand-ins, temp dirs, agents), closed newest
 * first: an agent stops before its relay, a relay before the lab whose namespace it runs in.
 * Every close runs even when one fails; the first failure is thrown after the rest. No test
 * runner here: vitest suites run it after all their tests (suiteTeardown.ts), the Playwright
 * GUI world when its worker ends (loading vitest beside Playwright's expect would clash).
 */
export class Teardown {
  private readonly closers: Array<() => Promise<unknown>> = [];

  /** Close (or stop) `thing` at teardown; returns it. */
  add<T extends Closable>(thing: T): T {
    this.closers.push(() => ('close' in thing ? thing.close() : thing.stop()));
    return thing;
  }

  /** A fresh directory under the system's temp dir, removed at teardown. */
  async tempDir(prefix: string): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), prefix));
    this.closers.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  async run(): Promise<void> {
    const failures: unknown[] = [];
    for (const close of this.closers.splice(0).reverse()) {
      await close().catch((error: unknown) => failures.push(error));
    }
    if (failures.length > 0) throw failures[0];
  }
}
