import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ConnectionView } from '../desktop/desktopApi.js';

/**
 * Status files: every process that runs a Manager (the desktop app, the web host, a
 * `cloud-connect connect` in the foreground) writes one file per connection it runs under
 * `<data dir>/status/`, so `cloud-connect status` in another process sees every tunnel on the
 * machine and who runs it.
 */

/** What a running Manager writes about one of its connections. */
export interface StatusRecord {
  pid: number;
  /** Who runs it, as people call it: "desktop app", "cloud-connect connect". */
  runner: string;
  updatedAt: string;
  connection: ConnectionView;
}

/** A record read back, with the data dir it was found in. */
export interface FoundStatus extends StatusRecord {
  dataDir: string;
}

export const statusDir = (dataDir: string) => path.join(dataDir, 'status');

const fileOf = (dataDir: string, connectionId: string) =>
  path.join(statusDir(dataDir), `${connectionId}.json`);

/** Write one connection's status atomically (temp file + rename), owner-only. */
export async function writeStatus(
  dataDir: string,
  record: Omit<StatusRecord, 'pid' | 'updatedAt'> & { pid?: number; updatedAt?: string },
): Promise<void> {
  await mkdir(statusDir(dataDir), { recursive: true, mode: 0o700 });
  const file = fileOf(dataDir, record.connection.id);
  const full: StatusRecord = {
    pid: record.pid ?? process.pid,
    runner: record.runner,
    updatedAt: record.updatedAt ?? new Date().toISOString(),
    connection: record.connection,
  };
  // The pid in the temp name: two processes never write through the same temp file.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(full, null, 2), { mode: 0o600 });
  await rename(tmp, file);
}

export async function removeStatus(dataDir: string, connectionId: string): Promise<void> {
  await rm(fileOf(dataDir, connectionId), { force: true });
}

/** A Manager's status writer: writes one after another, and `close` removes what it wrote. */
export interface StatusFileWriter {
  write(connection: ConnectionView): void;
  /** Resolves once every write so far has landed. */
  flushed(): Promise<void>;
  /** Wait for the last write, then remove every file this writer wrote. Idempotent. */
  close(): Promise<void>;
}

export function createStatusFileWriter(dataDir: string, runner: string): StatusFileWriter {
  const written = new Set<string>();
  // Writes of one connection share a file: chained, so an older status never lands last, and
  // close waits for the chain so no write lands after the file was removed.
  let chain: Promise<void> = Promise.resolve();
  let closed: Promise<void> | null = null;
  return {
    write(connection) {
      if (closed) return;
      written.add(connection.id);
      chain = chain.then(() => writeStatus(dataDir, { runner, connection })).catch(() => undefined);
    },
    flushed: () => chain,
    close() {
      closed ??= (async () => {
        await chain;
        await Promise.all([...written].map((id) => removeStatus(dataDir, id)));
      })();
      return closed;
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The status files of every given data dir whose writer still runs. A file whose process is
 * gone (killed, crashed) is stale: it is removed and not returned.
 */
export async function readStatuses(dataDirs: string[]): Promise<FoundStatus[]> {
  const out: FoundStatus[] = [];
  for (const dataDir of [...new Set(dataDirs)]) {
    const dir = statusDir(dataDir);
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) =>
      /^[^.]+\.json$/.test(n),
    );
    for (const n of names.sort()) {
      let rec: StatusRecord;
      try {
        rec = JSON.parse(await readFile(path.join(dir, n), 'utf8')) as StatusRecord;
      } catch {
        // A file being replaced right now, or unreadable: the next call sees it.
        continue;
      }
      if (typeof rec.pid !== 'number' || !rec.connection) continue;
      if (!alive(rec.pid)) {
        await rm(path.join(dir, n), { force: true }).catch(() => undefined);
        continue;
      }
      out.push({ ...rec, runner: rec.runner ?? 'an agent', dataDir });
    }
  }
  return out;
}
