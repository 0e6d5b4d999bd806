import { constants } from 'node:fs';
import { open, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { tryLock } from 'fs-native-extensions';

/*
 * Why an OS-level lock, and why this library. The data dir used to be claimed by a pid file,
 * taken over once that pid no longer answered `kill(pid, 0)`. That is wrong twice: a relay
 * killed with -9 lingers as a zombie until its parent reaps it (slow inits in containers), and
 * a zombie still answers, so the next start was refused; and two starters taking over the same
 * stale file could both win (each unlinks, the slower one the other's fresh file).
 *
 * A kernel lock has neither problem: the kernel drops it when the holder's descriptors close,
 * which happens when the process exits, before it becomes a zombie; and granting it is atomic.
 * Node has no flock/fcntl in core, so we use fs-native-extensions (Holepunch, N-API prebuilds,
 * no install script): open-file-description fcntl locks on Linux (per open, so a second open in
 * the same process conflicts too, and they are not shared with children), flock on macOS,
 * LockFileEx on Windows. proper-lockfile was rejected: it is time-based (a restart after
 * kill -9 waits out the stale period) and its stale takeover has the same two-winner race
 * (moxystudio/node-proper-lockfile#121). fs-ext is native without prebuilds and little kept.
 */

export const LOCK_FILE = 'store.lock';

/** The data dir is held by another live process (or already open in this one). */
export class StoreLockedError extends Error {
  constructor(
    readonly dir: string,
    /** The holder's pid as it wrote it into the lock file; null when it could not be read. */
    readonly pid: number | null,
  ) {
    super(
      pid === process.pid
        ? `The data dir ${dir} is already open in this process.`
        : `The data dir ${dir} is in use by ${pid === null ? 'another process' : `process ${pid}`}; stop that relay first, or give this one its own RELAY_DATA_DIR.`,
    );
    this.name = 'StoreLockedError';
  }
}

async function holderPid(handle: FileHandle): Promise<number | null> {
  const text = await handle.readFile('utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * Take `dir` for this process with an exclusive kernel lock on `dir/store.lock` (which then
 * holds our pid, for the message a second opener gets). Resolves with the release function;
 * rejects with StoreLockedError while another process, or another open in this one, holds it.
 * A holder that died, however it died, holds nothing: its lock went with its descriptors.
 */
export async function acquireDataDirLock(dir: string): Promise<() => Promise<void>> {
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 10; attempt++) {
    let handle: FileHandle;
    try {
      handle = await open(file, constants.O_RDWR | constants.O_CREAT, 0o600);
    } catch (e) {
      throw new Error(`Could not lock the data dir ${dir}: ${(e as Error).message}`, { cause: e });
    }
    let held = false;
    try {
      if (!tryLock(handle.fd)) throw new StoreLockedError(dir, await holderPid(handle));
      // A releasing holder unlinks the file before it unlocks, and a new one may have been
      // created since we opened it: a lock on an inode the path no longer names guards
      // nothing, so check we locked the file that `store.lock` is now, else open it again.
      const [locked, current] = await Promise.all([handle.stat(), stat(file).catch(() => null)]);
      if (!current || current.ino !== locked.ino || current.dev !== locked.dev) continue;
      await handle.truncate(0);
      await handle.write(`${process.pid}\n`, 0);
      held = true;
      let released: Promise<void> | null = null;
      return () => {
        const h = handle;
        released ??= (async () => {
          await unlink(file).catch(() => undefined);
          await h.close();
        })();
        return released;
      };
    } catch (e) {
      if (e instanceof StoreLockedError) throw e;
      throw new Error(`Could not lock the data dir ${dir}: ${(e as Error).message}`, { cause: e });
    } finally {
      if (!held) await handle.close().catch(() => undefined);
    }
  }
  throw new Error(`Could not lock the data dir ${dir}; its lock file keeps being replaced.`);
}
