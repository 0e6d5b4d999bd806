import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canStartTestKeyring, startTestBus, type TestBus } from '../testing/keyring.js';
import { createKeytarSecretStore } from './keytarSecretStore.js';
import { SecretError } from './secretError.js';

// libsecret keeps the first bus it connects to for the life of the process, so these run in a
// file of their own (vitest gives each file its own process), in order, from "no bus at all" to
// "a bus with no Secret Service on it".
const saved = { ...process.env };
let runtimeDir: string;

beforeAll(async () => {
  runtimeDir = await mkdtemp(join(tmpdir(), 'cc-nobus-'));
  delete process.env.DBUS_SESSION_BUS_ADDRESS;
  delete process.env.DISPLAY;
  delete process.env.WAYLAND_DISPLAY;
  // GDBus also looks for $XDG_RUNTIME_DIR/bus: point it at an empty folder.
  process.env.XDG_RUNTIME_DIR = runtimeDir;
});
afterAll(async () => {
  for (const name of [
    'DBUS_SESSION_BUS_ADDRESS',
    'DISPLAY',
    'WAYLAND_DISPLAY',
    'XDG_RUNTIME_DIR',
  ]) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  await rm(runtimeDir, { recursive: true, force: true });
});

async function failure(run: () => Promise<unknown>): Promise<SecretError> {
  const err = await run().then(
    () => new Error('expected the keychain to fail'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SecretError);
  return err as SecretError;
}

describe('keytar secret store without a keychain', () => {
  it('reports NO_KEYCHAIN with what to do when there is no D-Bus session at all', async () => {
    const store = createKeytarSecretStore({ service: 'cloud-connect-test-nobus' });
    for (const run of [
      () => store.get('session'),
      () => store.set('session', 'v'),
      () => store.listAccounts(),
      () => store.delete('session'),
    ]) {
      const err = await failure(run);
      expect(err.code).toBe('NO_KEYCHAIN');
      expect(err.message).toMatch(/^no keychain available/);
      expect(err.message).toContain('CLOUD_CONNECT_SECRET_KEY');
      expect(String(err.details?.cause)).toMatch(/D-Bus|DBus|dbus/);
    }
  });

  it('reports NO_KEYCHAIN when the bus address points at nothing', async () => {
    process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${join(runtimeDir, 'no-such-bus')}`;
    const err = await failure(() =>
      createKeytarSecretStore({ service: 'cloud-connect-test-nobus' }).get('session'),
    );
    expect(err.code).toBe('NO_KEYCHAIN');
  });

  it('reports NO_KEYCHAIN when keytar itself cannot be loaded', async () => {
    const store = createKeytarSecretStore({
      loadKeytar: () =>
        Promise.reject(new Error('libsecret-1.so.0: cannot open shared object file')),
    });
    const err = await failure(() => store.get('session'));
    expect(err.code).toBe('NO_KEYCHAIN');
    expect(err.message).toContain('libsecret-1.so.0');
  });

  describe.runIf(canStartTestKeyring())('on a bus with no Secret Service', () => {
    let bus: TestBus;
    beforeAll(async () => {
      bus = await startTestBus();
      process.env.DBUS_SESSION_BUS_ADDRESS = bus.address;
    });
    afterAll(async () => {
      await bus?.stop();
    });

    it('reports NO_KEYCHAIN rather than hanging or crashing', async () => {
      const err = await failure(() =>
        createKeytarSecretStore({ service: 'cloud-connect-test-nobus', timeoutMs: 10_000 }).set(
          'session',
          'v',
        ),
      );
      expect(err.code).toBe('NO_KEYCHAIN');
      expect(err.message).toMatch(/^no keychain available/);
    });
  });
});
