import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccount, createInstance, startTestRelay } from '../testing/index.js';
import { generateKeyPair } from '@cloud-connect/agent-core/wireguard';
import { loadOrCreateServerKey, serverKeyFile } from './keys.js';

/** wireguard-tools' own answer: the private key on stdin, never in argv. */
const wgPubkey = (privateKey: string) =>
  execFileSync('wg', ['pubkey'], { input: `${privateKey}\n` })
    .toString()
    .trim();

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cc-wgkey-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the relay server key', () => {
  it('the server key is generated once with mode 0600 and reused', async () => {
    const first = await loadOrCreateServerKey(dir);
    const file = serverKeyFile(dir);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).trim()).toBe(first.privateKey);
    expect(first.publicKey).toBe(wgPubkey(first.privateKey));
    expect(await loadOrCreateServerKey(dir)).toEqual(first);
  });

  it('a key file with a character that is not base64 stops start-up (Node would skip it)', async () => {
    const key = generateKeyPair().privateKey;
    await writeFile(serverKeyFile(dir), `${key.slice(0, 10)}!${key.slice(10)}\n`, { mode: 0o600 });
    await expect(loadOrCreateServerKey(dir)).rejects.toThrow(
      /does not hold a WireGuard private key/,
    );
  });

  it('concurrent first starts agree on one key', async () => {
    const all = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateServerKey(dir)));
    expect(new Set(all.map((k) => k.publicKey)).size).toBe(1);
  });

  it('a damaged key file stops start-up with a message naming the file', async () => {
    await writeFile(serverKeyFile(dir), '\n', { mode: 0o600 });
    await expect(loadOrCreateServerKey(dir)).rejects.toThrow(serverKeyFile(dir));
  });

  it('the relay hands agents the kept key, the same after a restart', async () => {
    const t1 = await startTestRelay({ dataDir: dir });
    const account = await createAccount(t1);
    const inst = await createInstance(t1, account, 'wg-key-site');
    await t1.stop();
    const kept = (await readFile(serverKeyFile(dir), 'utf8')).trim();
    expect(inst.credentials.wireguard.server_public_key).toBe(wgPubkey(kept));
    const t2 = await startTestRelay({ dataDir: dir });
    try {
      const res = await t2.api.post(
        '/tunnel/register',
        { public_key: generateKeyPair().publicKey },
        { token: inst.credentials.instance_token },
      );
      expect(res.status).toBe(200);
      expect(res.body.tunnel_config.peer.public_key).toBe(wgPubkey(kept));
    } finally {
      await t2.stop();
    }
  });
});
