import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { appendFile, cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LowdbStore, StoreLockedError, type LowdbStoreOptions } from './lowdbStore.js';
import { manualClock } from '../testing/manualClock.js';
import { describeStoreContract, records } from '../testing/storeContract/index.js';
import type { StoreData } from './types.js';

const dirs: string[] = [];
const stores: LowdbStore[] = [];
const children: ChildProcess[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cc-store-'));
  dirs.push(dir);
  return dir;
}

async function openStore(dir: string, options: LowdbStoreOptions = {}): Promise<LowdbStore> {
  const store = await LowdbStore.open(dir, options);
  stores.push(store);
  return store;
}

/**
 * A store on a temp dir whose time is a manual clock (its age checks and its timers), and
 * `pass(ms)`: move that time on, wait for any rewrite the timer started, answer the writes.
 */
async function timedStore(options: LowdbStoreOptions) {
  const clock = manualClock();
  const dir = await tempDir();
  const store = await openStore(dir, { ...options, clock, timers: clock });
  const pass = async (ms: number) => {
    clock.advance(ms);
    await store.snapshotSettled();
    return store.stats.snapshotWrites;
  };
  return { clock, dir, store, pass };
}

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await once(c, 'exit');
    }
  }
  await Promise.all(stores.splice(0).map((s) => s.close().catch(() => undefined)));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describeStoreContract('LowdbStore', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'cc-store-contract-'));
  const store = await LowdbStore.open(dir);
  return {
    store,
    async dispose() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

/**
 * The files a `kill -9` would leave right now: a copy of the data dir taken while the store
 * is open and nothing is in flight (every awaited write has returned).
 */
async function crashImage(dir: string): Promise<string> {
  const copy = await tempDir();
  await cp(dir, copy, { recursive: true });
  return copy;
}

const journalFiles = async (dir: string) =>
  (await readdir(dir)).filter((n) => n.startsWith('journal-')).sort();

/** Fill a store with one of everything, so a reopened store can be compared with a dump. */
async function populate(store: LowdbStore): Promise<void> {
  const user = await store.users.create(records.user({ stripeCustomerId: 'cus_pop' }));
  const inst = await store.instances.create(records.instance(user.id, { name: 'Kept' }), {
    maxPerUser: 10,
  });
  const gone = await store.instances.create(records.instance(user.id), { maxPerUser: 10 });
  await store.domains.create(records.domain(inst), { maxPerInstance: 5 });
  await store.domains.create(records.domain(gone), { maxPerInstance: 5 });
  await store.instances.delete(gone.id);
  await store.instances.update(inst.id, { name: 'Renamed' });
  await store.instances.touch(inst.id, new Date().toISOString());
  const rt = records.refreshToken(user.id);
  await store.refreshTokens.create(rt);
  await store.refreshTokens.use(rt.id, new Date().toISOString());
  await store.emailTokens.create(records.emailToken(user.id));
  await store.webhookEvents.record({
    id: 'evt_pop',
    type: 't',
    processedAt: '2030-01-01T00:00:00Z',
  });
  await store.users.update(user.id, { name: 'Updated' });
}

describe('LowdbStore on disk', () => {
  it('keeps everything across close and reopen, with no journal left behind', async () => {
    const dir = await tempDir();
    const store = await openStore(dir);
    await populate(store);
    const before = await store.dump();
    await store.close();
    expect(await journalFiles(dir)).toEqual([]);
    const reopened = await openStore(dir);
    expect(await reopened.dump()).toEqual(before);
    // Indexes are rebuilt too: unique values are still taken.
    const user = Object.values(before.users)[0]!;
    await expect(reopened.users.create(records.user({ email: user.email }))).rejects.toThrow(
      /email/,
    );
  });

  it('replays the journal after a crash: every acknowledged write is there', async () => {
    const dir = await tempDir();
    const store = await openStore(dir, { snapshotIntervalMs: 3_600_000 });
    await populate(store);
    const before = await store.dump();
    const image = await crashImage(dir);
    // The snapshot is still the empty one from start-up: everything comes from the journal.
    const snap = JSON.parse(await readFile(path.join(image, 'store.json'), 'utf8')) as {
      data: StoreData;
    };
    expect(Object.keys(snap.data.users)).toEqual([]);
    const recovered = await openStore(image);
    expect(await recovered.dump()).toEqual(before);
    // Recovery folds the journal into the snapshot and starts an empty segment.
    const folded = JSON.parse(await readFile(path.join(image, 'store.json'), 'utf8')) as {
      data: StoreData;
    };
    expect(folded.data).toEqual(before);
  });

  it('replays a snapshot plus the journal written after it', async () => {
    const dir = await tempDir();
    const store = await openStore(dir, { snapshotIntervalMs: 3_600_000 });
    const u = await store.users.create(records.user());
    await store.snapshot();
    const i = await store.instances.create(records.instance(u.id), { maxPerUser: 10 });
    await store.instances.touch(i.id, '2030-05-05T00:00:00.000Z');
    const recovered = await openStore(await crashImage(dir));
    expect(await recovered.users.get(u.id)).toEqual(u);
    expect((await recovered.instances.get(i.id))?.lastSeen).toBe('2030-05-05T00:00:00.000Z');
  });

  it('skips a torn last journal line and keeps every line before it', async () => {
    const dir = await tempDir();
    const store = await openStore(dir, { snapshotIntervalMs: 3_600_000 });
    const u = await store.users.create(records.user());
    const i = await store.instances.create(records.instance(u.id), { maxPerUser: 10 });
    await store.instances.touch(i.id, '2030-06-06T00:00:00.000Z');
    const image = await crashImage(dir);
    const [segment] = await journalFiles(image);
    // A write cut short by the crash: half a line, no newline.
    await appendFile(
      path.join(image, segment!),
      '{"seq":99,"changes":[["instances","inst_torn",{"id":"inst_t',
    );
    const recovered = await openStore(image);
    expect(await recovered.users.get(u.id)).toEqual(u);
    expect((await recovered.instances.get(i.id))?.lastSeen).toBe('2030-06-06T00:00:00.000Z');
    expect(await recovered.instances.get('inst_torn')).toBeNull();
    // The store goes on after the torn line: new writes survive another crash.
    await recovered.instances.update(i.id, { name: 'After recovery' });
    const again = await openStore(await crashImage(image));
    expect((await again.instances.get(i.id))?.name).toBe('After recovery');
  });

  it('stops replay at a gap in the sequence: nothing after a missing entry was acknowledged', async () => {
    const dir = await tempDir();
    const store = await openStore(dir, { snapshotIntervalMs: 3_600_000 });
    const u = await store.users.create(records.user());
    const image = await crashImage(dir);
    const [segment] = await journalFiles(image);
    const orphan = records.user();
    await appendFile(
      path.join(image, segment!),
      `${JSON.stringify({ seq: 5, changes: [['users', orphan.id, orphan]] })}\n`,
    );
    const recovered = await openStore(image);
    expect(await recovered.users.get(u.id)).toEqual(u);
    expect(await recovered.users.get(orphan.id)).toBeNull();
  });

  it('rewrites the data file at most once per interval during a burst of 10,000 touches', async () => {
    const intervalMs = 100;
    const { dir, store, pass } = await timedStore({ snapshotIntervalMs: intervalMs });
    const user = await store.users.create(records.user());
    const ids: string[] = [];
    for (let n = 0; n < 100; n++) {
      ids.push((await store.instances.create(records.instance(user.id), { maxPerUser: 100 })).id);
    }
    const writesBefore = store.stats.snapshotWrites;
    const batchesBefore = store.stats.journalBatches;
    let last = '';
    // 100 rounds of 100 concurrent touches, a quarter interval apart: 25 intervals go by,
    // and every journal batch is a chance to rewrite.
    for (let round = 0; round < 100; round++) {
      last = new Date(Date.UTC(2031, 0, 1, 0, 0, round)).toISOString();
      await Promise.all(ids.map((id) => store.instances.touch(id, last)));
      await pass(intervalMs / 4);
    }
    const writes = store.stats.snapshotWrites - writesBefore;
    const batches = store.stats.journalBatches - batchesBefore;
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThanOrEqual(25);
    // Group commit: far fewer appends than touches.
    expect(batches).toBeLessThanOrEqual(10_000 / 50);
    expect(store.stats.journalEntries).toBeGreaterThanOrEqual(10_000);
    // Within an interval the snapshot holds the latest touch.
    await pass(intervalMs);
    const snap = JSON.parse(await readFile(path.join(dir, 'store.json'), 'utf8')) as {
      data: StoreData;
    };
    for (const id of ids) expect(snap.data.instances[id]?.lastSeen).toBe(last);
    // Older journal segments were dropped as snapshots caught up.
    expect((await journalFiles(dir)).length).toBeLessThanOrEqual(2);
  });

  it('rewrites the snapshot once the journal since it is as large as it, and not before', async () => {
    const { store, pass } = await timedStore({
      snapshotIntervalMs: 20,
      snapshotMaxAgeMs: 3_600_000,
    });
    const users = [];
    for (let n = 0; n < 100; n++) users.push(await store.users.create(records.user()));
    // Nothing is rewritten between checks, however much is written.
    expect(await pass(19)).toBe(1);
    // 100 users of journal outgrow the empty start-up snapshot: the next check rewrites it.
    expect(await pass(1)).toBe(2);
    const size = store.stats.snapshotBytes;
    await store.users.update(users[0]!.id, { name: 'small change' });
    expect(await pass(20 * 15)).toBe(2);
    expect(store.stats.journalBytesSinceSnapshot).toBeLessThan(size);
    let n = 0;
    while (store.stats.journalBytesSinceSnapshot < size) {
      await store.users.update(users[n++ % 100]!.id, { name: `name ${n}` });
    }
    expect(await pass(20)).toBe(3);
  });

  it('rewrites a changed snapshot once it is snapshotMaxAgeMs old, by the store clock', async () => {
    const { store, pass } = await timedStore({ snapshotIntervalMs: 20, snapshotMaxAgeMs: 200 });
    const u = await store.users.create(records.user());
    for (let k = 0; k < 20; k++) await store.users.create(records.user());
    expect(await pass(20)).toBe(2); // grown: rewritten at t = 20 ms
    // A change far smaller than the snapshot waits until the snapshot is 200 ms old.
    await store.users.update(u.id, { name: 'x' });
    expect(await pass(180)).toBe(2); // t = 200: 180 ms old
    expect(await pass(20)).toBe(3); // t = 220: 200 ms old
    // An unchanged store is not rewritten, however old its snapshot.
    expect(await pass(1000)).toBe(3);
  });

  it('drops email and refresh tokens retainExpiredMs after they expire, by the store clock', async () => {
    const { clock, store } = await timedStore({
      snapshotIntervalMs: 3_600_000,
      retainExpiredMs: 60_000,
    });
    const at = (ms: number) => new Date(clock.nowMs() + ms).toISOString();
    const user = await store.users.create(records.user());
    const email = records.emailToken(user.id, { expiresAt: at(1000) });
    const refresh = records.refreshToken(user.id, { expiresAt: at(5000) });
    await store.emailTokens.create(email);
    await store.refreshTokens.create(refresh);
    const kept = async () => {
      await store.users.update(user.id, { name: `n${clock.nowMs()}` }); // something to write
      await store.snapshot();
      const data = await store.dump();
      return [Object.keys(data.emailTokens), Object.keys(data.refreshTokens)];
    };
    clock.advance(61_000); // the email token expired 60 s ago, not more
    expect(await kept()).toEqual([[email.hash], [refresh.id]]);
    clock.advance(1);
    expect(await kept()).toEqual([[], [refresh.id]]);
    clock.advance(4000);
    expect(await kept()).toEqual([[], []]);
  });

  it('journals a heartbeat as its two changed fields, not the whole record', async () => {
    const dir = await tempDir();
    const store = await openStore(dir, { snapshotIntervalMs: 3_600_000 });
    const i = await store.instances.create(
      records.instance('usr_a', { name: 'Long name '.repeat(9) }),
      {
        maxPerUser: 10,
      },
    );
    await store.instances.touch(i.id, '2030-07-07T00:00:00.000Z');
    const [segment] = await journalFiles(dir);
    const lines = (await readFile(path.join(dir, segment!), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).not.toContain('Long name');
    expect(JSON.parse(lines[1]!).changes).toEqual([
      ['instances', i.id, { lastSeen: '2030-07-07T00:00:00.000Z', status: 'connected' }, 'merge'],
    ]);
    // A merge into an instance deleted later replays as nothing.
    await store.instances.delete(i.id);
    const recovered = await openStore(await crashImage(dir));
    expect(await recovered.instances.get(i.id)).toBeNull();
  });

  it('refuses a data dir that another live process holds, and takes it over once that process is gone', async () => {
    const dir = await tempDir();
    const storeModule = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lowdbStore.ts');
    const child = spawn(
      process.execPath,
      [
        // The store reads the clock from agent-core: its sources, as the tests load them.
        '--conditions=@cloud-connect/source',
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { LowdbStore } = await import(${JSON.stringify(storeModule)});
         await LowdbStore.open(${JSON.stringify(dir)});
         console.log('open');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(child);
    // The child prints "open" once it holds the lock, or exits if it cannot.
    const opened = new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('open')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`child exited (${code}) before opening`)));
    });
    await opened;
    const refused = await LowdbStore.open(dir).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreLockedError);
    expect((refused as StoreLockedError).pid).toBe(child.pid);
    child.kill('SIGKILL');
    await once(child, 'exit');
    const store = await openStore(dir);
    await store.users.create(records.user());
  });

  it('refuses to open a data dir twice in one process', async () => {
    const dir = await tempDir();
    await openStore(dir);
    await expect(LowdbStore.open(dir)).rejects.toBeInstanceOf(StoreLockedError);
  });

  it('keeps its files owner-only (0600) and the data dir 0700, across snapshot rewrites', async () => {
    const parent = await tempDir();
    const dir = path.join(parent, 'data');
    const store = await openStore(dir, { snapshotIntervalMs: 3_600_000 });
    const u = await store.users.create(records.user());
    await store.snapshot();
    await store.users.update(u.id, { name: 'Again' });
    await store.snapshot();
    await store.users.update(u.id, { name: 'Once more' });
    const mode = async (name: string) => (await stat(path.join(dir, name))).mode & 0o777;
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const names = await readdir(dir);
    expect(names).toContain('store.json');
    expect(names).toContain('store.lock');
    expect(names.some((n) => n.startsWith('journal-'))).toBe(true);
    for (const name of names) expect([name, await mode(name)]).toEqual([name, 0o600]);
    expect(store.stats.snapshotWrites).toBeGreaterThanOrEqual(3);
    await store.close();
    expect(await readdir(dir)).toEqual(['store.json']);
    expect(await mode('store.json')).toBe(0o600);
  });

  it('refuses writes after close and rejects a data file that is not JSON', async () => {
    const dir = await tempDir();
    const store = await openStore(dir);
    await store.close();
    await expect(store.users.create(records.user())).rejects.toThrow(/closed/);
    await expect(store.ping()).rejects.toThrow(/closed/);
    await appendFile(path.join(dir, 'store.json'), '{{{');
    await expect(LowdbStore.open(dir)).rejects.toThrow(/not valid JSON/);
    // A failed open releases the lock.
    expect(await readdir(dir)).not.toContain('store.lock');
  });
});
