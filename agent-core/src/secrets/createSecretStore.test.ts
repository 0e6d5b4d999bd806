import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSecretStore, SECRETS_FILE_NAME } from './createSecretStore.js';
import type { KeytarApi } from './keytarSecretStore.js';
import type { SecretError } from './secretError.js';

const KEY = 'a-headless-host-key-0123456789abcdefghij';
let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cc-pick-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** An in-memory keytar that records that it was used, to see which backend was picked. */
function recordingKeytar(): { api: KeytarApi; loads: number } {
  const items = new Map<string, string>();
  const state = {
    loads: 0,
    api: {
      getPassword: async (s: string, a: string) => items.get(`${s}/${a}`) ?? null,
      setPassword: async (s: string, a: string, p: string) => void items.set(`${s}/${a}`, p),
      deletePassword: async (s: string, a: string) => items.delete(`${s}/${a}`),
      findCredentials: async () => [],
    } satisfies KeytarApi,
  };
  return state;
}

describe('createSecretStore', () => {
  it('uses the encrypted file in the data dir when CLOUD_CONNECT_SECRET_KEY is set', async () => {
    const store = createSecretStore({ dataDir, env: { CLOUD_CONNECT_SECRET_KEY: KEY } });
    expect(store.backend).toBe('encrypted-file');
    await store.set('session', 'v');
    expect((await stat(join(dataDir, SECRETS_FILE_NAME))).isFile()).toBe(true);
  });

  it('uses the keychain when no key is set, loading keytar only on first use', async () => {
    const keytar = recordingKeytar();
    const store = createSecretStore({
      dataDir,
      env: {},
      loadKeytar: async () => {
        keytar.loads++;
        return keytar.api;
      },
    });
    expect(store.backend).toBe('keychain');
    expect(keytar.loads).toBe(0);
    await store.set('session', 'v');
    expect(await store.get('session')).toBe('v');
    expect(keytar.loads).toBe(1);
  });

  it('honours an explicit backend over the environment', () => {
    expect(
      createSecretStore({ dataDir, env: { CLOUD_CONNECT_SECRET_KEY: KEY }, backend: 'keychain' })
        .backend,
    ).toBe('keychain');
  });

  it('refuses the file backend without a usable key', () => {
    const pick = (env: NodeJS.ProcessEnv) => {
      try {
        createSecretStore({ dataDir, env, backend: 'encrypted-file' });
        return null;
      } catch (e) {
        return e as SecretError;
      }
    };
    expect(pick({})?.code).toBe('SECRET_KEY_MISSING');
    expect(pick({ CLOUD_CONNECT_SECRET_KEY: 'short' })?.code).toBe('SECRET_KEY_TOO_SHORT');
  });
});
