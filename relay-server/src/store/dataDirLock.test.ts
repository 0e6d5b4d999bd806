import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LowdbStore, StoreLockedError } from './lowdbStore.js';
import { records } from '../testing/storeContract/index.js';

/**
 * The data-dir lock with real processes: a holder killed with -9 and left a zombie, two
 * starters racing for a lock left behind, and a live holder.
 */

const STORE_MODULE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lowdbStore.ts');
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await once(c, 'exit');
    }
  }
});

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir() {
  const d = await mkdtemp(path.join(tmpdir(), 'cc-lock-'));
  dirs.push(d);
  return d;
}

/** Lines a child prints, and a way to wait for one. */
function lines(child: ChildProcess) {
  const seen: string[] = [];
  let partial = '';
  child.stdout!.on('data', (b: Buffer) => {
    const parts = (partial + b.toString()).split('\n');
    partial = parts.pop() ?? '';
    seen.push(...parts);
  });
  return {
    seen,
    async next(match: (l: string) => boolean, from = 0, timeoutMs = 20_000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = seen.slice(from).find(match);
        if (hit !== undefined) return hit;
        if (Date.now() > deadline)
          throw new Error(`no line in ${timeoutMs} ms: ${seen.join(' | ')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

/** The one-letter state in /proc/<pid>/stat (R, S, Z…), or null once the pid is gone. */
async function procState(pid: number): Promise<string | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat ? (stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null) : null;
}

/** How many threads /proc lists for `pid` (0 once it is gone). */
async function threadsOf(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/task`).catch(() => [])).length;
}

/** A pid that belonged to a process which has exited (what a lock left by kill -9 holds). */
function deadPid(): number {
  const r = spawnSync('true');
  if (!r.pid) throw new Error('could not run true');
  return r.pid;
}

/** A process that opens stores on command: `open <dir>` → `won` / `lost <name>`, `close`. */
function startContender() {
  const script = `const { LowdbStore } = await import(${JSON.stringify(STORE_MODULE)});
const rl = (await import('node:readline')).createInterface({ input: process.stdin });
let store = null;
console.log('ready');
for await (const line of rl) {
  const [cmd, dir] = line.split(' ');
  if (cmd === 'open') {
    try { store = await LowdbStore.open(dir); console.log('won ' + dir); }
    catch (e) { console.log('lost ' + dir + ' ' + e.name); }
  } else if (cmd === 'close') { await store?.close(); store = null; console.log('closed'); }
}`;
  // The store reads its clock from agent-core: its sources, as the tests load them.
  const args = ['--conditions=@cloud-connect/source', '--import', 'tsx', '--input-type=module'];
  const child = spawn(process.execPath, [...args, '-e', script], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  return { child, out: lines(child) };
}

describe('data dir lock', () => {
  it('is free at once after its holder was killed with -9 under write load and lingers as a zombie its parent never reaps', async () => {
    const dir = await tempDir();
    // The holder writes users as fast as it can; its parent (sh, then sleep) never waits for it.
    const locker = `const { LowdbStore } = await import(${JSON.stringify(STORE_MODULE)});
const store = await LowdbStore.open(${JSON.stringify(dir)});
console.log('open');
const base = ${JSON.stringify(records.user())};
for (let i = 0; ; i++) {
  await store.users.create({ ...base, id: 'usr_load' + i, email: 'load' + i + '@example.test' });
  if (i === 50) console.log('writing');
}`;
    const parent = spawn(
      'sh',
      [
        '-c',
        `"$NODE" --conditions=@cloud-connect/source --import tsx --input-type=module -e "$LOCKER" & echo "child $!"; exec sleep 600`,
      ],
      {
        env: { ...process.env, NODE: process.execPath, LOCKER: locker },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    children.push(parent);
    const out = lines(parent);
    const pid = Number((await out.next((l) => l.startsWith('child '))).slice(6));
    await out.next((l) => l === 'writing');
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    // Z on the thread-group leader can show while node's other threads are still exiting (they
    // hold the open files until the last one is gone): a zombie is the leader alone in its task list.
    while ((await procState(pid)) !== 'Z' || (await threadsOf(pid)) !== 1) {
      if (Date.now() > deadline) throw new Error(`pid ${pid} never became a zombie`);
      await new Promise((r) => setTimeout(r, 20));
    }
    // Still a zombie: it answers kill(pid, 0), which the pid-file lock took for "alive".
    expect(await procState(pid)).toBe('Z');
    const store = await LowdbStore.open(dir);
    try {
      // What it committed before the kill is there (the journal replays it).
      expect(Object.keys((await store.dump()).users).length).toBeGreaterThan(50);
      expect(await procState(pid)).toBe('Z');
    } finally {
      await store.close();
    }
  });

  it('lets exactly one of four processes take over a lock left behind, 20 rounds in a row', async () => {
    const contenders = [startContender(), startContender(), startContender(), startContender()];
    await Promise.all(contenders.map((c) => c.out.next((l) => l === 'ready')));
    for (let round = 0; round < 20; round++) {
      const dir = await tempDir();
      // What a relay killed with -9 leaves: the lock file naming a process that is gone.
      await writeFile(path.join(dir, 'store.lock'), String(deadPid()), { mode: 0o600 });
      const from = contenders.map((c) => c.out.seen.length);
      for (const c of contenders) c.child.stdin!.write(`open ${dir}\n`);
      const answers = await Promise.all(
        contenders.map((c, i) =>
          c.out.next((l) => l === `won ${dir}` || l.startsWith(`lost ${dir} `), from[i]),
        ),
      );
      const won = answers.filter((l) => l.startsWith('won '));
      expect(won, `round ${round}: ${answers.join(' / ')}`).toHaveLength(1);
      for (const l of answers.filter((a) => a.startsWith('lost ')))
        expect(l).toMatch(/StoreLockedError$/);
      for (const c of contenders) {
        const at = c.out.seen.length;
        c.child.stdin!.write('close\n');
        await c.out.next((l) => l === 'closed', at);
      }
    }
  });

  it('refuses a second opener while the holder lives, naming its pid and what to do', async () => {
    const dir = await tempDir();
    const holder = startContender();
    await holder.out.next((l) => l === 'ready');
    holder.child.stdin!.write(`open ${dir}\n`);
    await holder.out.next((l) => l.startsWith('won '));
    const refused = await LowdbStore.open(dir).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreLockedError);
    expect((refused as StoreLockedError).pid).toBe(holder.child.pid);
    expect((refused as Error).message).toBe(
      `The data dir ${dir} is in use by process ${holder.child.pid}; stop that relay first, or give this one its own RELAY_DATA_DIR.`,
    );
    // Refusing changed nothing: the holder still holds it, and its pid is still in the file.
    expect((await readFile(path.join(dir, 'store.lock'), 'utf8')).trim()).toBe(
      String(holder.child.pid),
    );
    holder.child.stdin!.write('close\n');
    await holder.out.next((l) => l === 'closed');
    const store = await LowdbStore.open(dir);
    await store.close();
  });

  it('says which data dir it could not lock when store.lock is not a file', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'store.lock'));
    await expect(LowdbStore.open(dir)).rejects.toThrow(
      new RegExp(`Could not lock the data dir ${dir}: .*EISDIR`),
    );
  });
});
