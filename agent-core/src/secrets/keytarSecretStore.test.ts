import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canStartTestKeyring,
  hasCommand,
  startTestKeyring,
  type TestKeyring,
} from '../testing/keyring.js';
import { createKeytarSecretStore } from './keytarSecretStore.js';
import { secretAccounts } from './secretAccounts.js';
import { SecretError } from './secretError.js';

// A service name of its own so this file never meets another test's items.
const SERVICE = `cloud-connect-test-${process.pid}`;
const TOKEN = 'eyJhIjoiYWNjb3VudCIsInQiOiJ0dW5uZWwiLCJzIjoic2VjcmV0LWJ5dGVzLWZvci10ZXN0cyJ9';

describe.runIf(canStartTestKeyring())('keytar secret store on a real gnome-keyring', () => {
  let keyring: TestKeyring;

  beforeAll(async () => {
    keyring = await startTestKeyring();
  });
  afterAll(async () => {
    await keyring?.stop();
  });

  it('stores a secret that is really in the Secret Service (read back by a second keytar process)', async () => {
    const store = createKeytarSecretStore({ service: SERVICE });
    await store.set(secretAccounts.cloudflareToken('conn_k1'), TOKEN);
    expect(await store.get(secretAccounts.cloudflareToken('conn_k1'))).toBe(TOKEN);
    expect(await keyring.readWithKeytarProcess(SERVICE, 'cloudflare-token:conn_k1')).toBe(TOKEN);
    expect(await keyring.readWithKeytarProcess(SERVICE, 'cloudflare-token:nope')).toBeNull();
  });

  it.runIf(hasCommand('secret-tool') || process.env.CI === 'true')(
    'stores items that libsecret’s secret-tool finds by service and account',
    async () => {
      const store = createKeytarSecretStore({ service: SERVICE });
      await store.set(secretAccounts.session, 'refresh-token-from-keytar');
      expect(await keyring.lookupWithSecretTool(SERVICE, 'session')).toBe(
        'refresh-token-from-keytar',
      );
      await store.delete(secretAccounts.session);
      expect(await keyring.lookupWithSecretTool(SERVICE, 'session')).toBeNull();
    },
  );

  it('replaces, lists and deletes by account under its own service only', async () => {
    const store = createKeytarSecretStore({ service: SERVICE });
    const other = createKeytarSecretStore({ service: `${SERVICE}-other` });
    await other.set('session', 'belongs-to-another-service');
    await store.set(secretAccounts.instanceToken('inst_aaaaaaaaaa'), 'first');
    await store.set(secretAccounts.instanceToken('inst_aaaaaaaaaa'), 'second');
    await store.set(secretAccounts.wireguardKey('conn_k2'), 'wg-private-key');
    expect(await store.get('instance-token:inst_aaaaaaaaaa')).toBe('second');
    expect(await store.listAccounts()).toEqual([
      'cloudflare-token:conn_k1',
      'instance-token:inst_aaaaaaaaaa',
      'wireguard-key:conn_k2',
    ]);
    expect(await store.delete('wireguard-key:conn_k2')).toBe(true);
    expect(await store.delete('wireguard-key:conn_k2')).toBe(false);
    expect(await store.get('wireguard-key:conn_k2')).toBeNull();
    expect(await store.get('session')).toBeNull();
    expect(await other.listAccounts()).toEqual(['session']);
  });

  // Last: the collection stays locked (unlocking needs a prompt no test can answer).
  it('reports KEYCHAIN_LOCKED when writing to a locked keyring', async () => {
    const store = createKeytarSecretStore({ service: SERVICE, timeoutMs: 5_000 });
    await keyring.lock();
    const err = await store.set(secretAccounts.session, 'while-locked').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretError);
    expect((err as SecretError).code).toBe('KEYCHAIN_LOCKED');
    expect((err as SecretError).message).toMatch(/unlock/);
    expect(JSON.stringify(err)).not.toContain('while-locked');
  });

  it('validates account names before touching the keychain', async () => {
    const store = createKeytarSecretStore({ service: SERVICE });
    const err = await store.set('not an account', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretError);
    expect((err as SecretError).code).toBe('INVALID_ACCOUNT');
  });
});
