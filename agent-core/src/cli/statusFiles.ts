import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ConnectionView } from '../desktop/desktopApi.js';

/** What a running agent writes about each of its connections, for `cloud-connect status`. */
export interface StatusRecord {
  pid: number;
  updatedAt: string;
  connection: ConnectionView;
}

export const statusDir = (dataDir: string) => path.join(dataDir, 'status');

/** Write one connection's status atomically (temp file + rename), owner-only. */
export async function writeStatus(dataDir: string, connection: ConnectionView): Promise<void> {
  const dir = statusDir(dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${connection.id}.json`);
  const record: StatusRecord = {
    pid: process.pid,
    updatedAt: new Date().toISOString(),
    connection,
  };
  await writeFile(`${file}.tmp`, JSON.stringify(record, null, 2), { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

export async function removeStatus(dataDir: string, connectionId: string): Promise<void> {
  await rm(path.join(statusDir(dataDir), `${connectionId}.json`), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every status file, with whether the agent that wrote it still runs. */
export async function readStatuses(
  dataDir: string,
): Promise<Array<StatusRecord & { running: boolean }>> {
  const dir = statusDir(dataDir);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
  const out: Array<StatusRecord & { running: boolean }> = [];
  for (const n of names.sort()) {
    try {
      const rec = JSON.parse(await readFile(path.join(dir, n), 'utf8')) as StatusRecord;
      out.push({ ...rec, running: alive(rec.pid) });
    } catch {
      // A file being replaced right now: the next call sees it.
    }
  }
  return out;
}
