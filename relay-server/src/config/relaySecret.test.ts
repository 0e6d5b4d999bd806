import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount, startTestRelay } from '../testing/index.js';
import { ConfigError } from './config.js';
import { loadOrCreateRelaySecret } from './relaySecret.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cc-secret-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const secretFile = () => path.join(dir, 'relay-secret');

describe('RELAY_SECRET unset', () => {
  it('generates a secret once, owner-only, and reuses it', async () => {
    const first = await loadOrCreateRelaySecret(dir, null);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect((await stat(secretFile())).mode & 0o777).toBe(0o600);
    expect((await readFile(secretFile(), 'utf8')).trim()).toBe(first);
    expect(await loadOrCreateRelaySecret(dir, null)).toBe(first);
  });

  it('starting twice at once keeps one secret', async () => {
    const all = await Promise.all(
      Array.from({ length: 8 }, () => loadOrCreateRelaySecret(dir, null)),
    );
    expect(new Set(all).size).toBe(1);
    expect((await readFile(secretFile(), 'utf8')).trim()).toBe(all[0]);
  });

  it('refuses to run with an empty or damaged kept secret, naming RELAY_SECRET', async () => {
    await writeFile(secretFile(), '\n', { mode: 0o600 });
    await expect(loadOrCreateRelaySecret(dir, null)).rejects.toThrow(ConfigError);
    await expect(loadOrCreateRelaySecret(dir, null)).rejects.toMatchObject({
      variable: 'RELAY_SECRET',
    });
  });

  it('a configured RELAY_SECRET is used and nothing is written', async () => {
    const configured = 'an operator-chosen secret of 32+ chars';
    expect(await loadOrCreateRelaySecret(dir, configured)).toBe(configured);
    await expect(stat(secretFile())).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('tokens signed before a restart still work after it', async () => {
    const t1 = await startTestRelay({ dataDir: dir });
    const account = await createAccount(t1);
    await t1.stop();
    const t2 = await startTestRelay({ dataDir: dir });
    try {
      t2.ledger.add(account.accessToken);
      const res = await t2.api.get('/user', { token: account.accessToken });
      expect(res.status).toBe(200);
      expect(res.body.email).toBe(account.email);
    } finally {
      await t2.stop();
    }
  });
});
