import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectionView } from '../testing/connectionView.js';
import { createStatusFileWriter, readStatuses, statusDir } from './statusFiles.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cc-status-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const at = '2026-12-07T14:00:00.000Z';
const view = (id: string, name: string) =>
  connectionView({ id, name, target: null, createdAt: at, updatedAt: at });

/** The pid of a process that ran and is gone. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.on('exit', r));
  return child.pid!;
}

describe('status files', () => {
  it('are written per connection with who runs them, read from several data dirs, and removed on close', async () => {
    const cli = path.join(root, 'cloud-connect');
    const desktop = path.join(root, 'Cloud Connect');
    const a = createStatusFileWriter(cli, 'cloud-connect connect');
    const b = createStatusFileWriter(desktop, 'desktop app');
    a.write(view('conn_a', 'Files'));
    b.write(view('conn_b', 'Photos'));
    b.write({ ...view('conn_b', 'Photos'), name: 'Photos, renamed' });
    await Promise.all([a.flushed(), b.flushed()]);
    // A data dir given twice is read once.
    const found = await readStatuses([cli, desktop, cli]);
    expect(found.map((f) => [f.connection.name, f.runner, f.pid, f.dataDir])).toEqual([
      ['Files', 'cloud-connect connect', process.pid, cli],
      ['Photos, renamed', 'desktop app', process.pid, desktop],
    ]);
    await a.close();
    await b.close();
    expect(await readStatuses([cli, desktop])).toEqual([]);
  });

  it('drops and deletes the file of a process that no longer runs', async () => {
    const dir = statusDir(root);
    await mkdir(dir, { recursive: true });
    const stale = {
      pid: await deadPid(),
      runner: 'cloud-connect connect',
      updatedAt: '2026-12-07T14:00:00.000Z',
      connection: view('conn_dead', 'Gone'),
    };
    await writeFile(path.join(dir, 'conn_dead.json'), JSON.stringify(stale));
    await writeFile(path.join(dir, 'conn_junk.json'), 'not json');
    expect(await readStatuses([root])).toEqual([]);
    expect(await readdir(dir)).toEqual(['conn_junk.json']);
  });

  it('never writes after close', async () => {
    const w = createStatusFileWriter(root, 'desktop app');
    w.write(view('conn_a', 'A'));
    await w.close();
    w.write(view('conn_b', 'B'));
    await w.close();
    expect(await readdir(statusDir(root))).toEqual([]);
    await expect(readFile(path.join(statusDir(root), 'conn_b.json'))).rejects.toThrow();
  });
});
