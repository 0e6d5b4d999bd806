import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SECRET_SAMPLES } from '../testing/secretSamples.js';
import { createEncryptedFileSecretStore } from './encryptedFileSecretStore.js';
import { secretAccounts } from './secretAccounts.js';
import { SecretError } from './secretError.js';

const KEY = 'k3y-for-tests-0123456789abcdefghijklmnop';
const OTHER_KEY = 'another-key-0123456789abcdefghijklmnopqrs';
const { tunnelToken: TOKEN, wireGuardKey: WG_KEY } = SECRET_SAMPLES;

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cc-secrets-'));
  path = join(dir, 'data', 'secrets.enc.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<SecretError> {
  const err = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SecretError);
  return err as SecretError;
}

type FileJson = Record<string, unknown> & {
  kdf: Record<string, unknown>;
  data: string;
  tag: string;
  iv: string;
};
async function readJson(): Promise<FileJson> {
  return JSON.parse(await readFile(path, 'utf8')) as FileJson;
}
function flipFirstByte(b64: string): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  return bytes.toString('base64');
}

describe('encrypted-file secret store', () => {
  it('round-trips secrets through the file and a fresh store object', async () => {
    const store = createEncryptedFileSecretStore({ path, key: KEY });
    expect(await store.get(secretAccounts.session)).toBeNull();
    await store.set(secretAccounts.session, 'refresh-token-value');
    await store.set(secretAccounts.cloudflareToken('conn_abc123'), TOKEN);
    await store.set(secretAccounts.wireguardKey('conn_abc123'), WG_KEY);
    await store.set(secretAccounts.session, 'refresh-token-value-2');

    const reopened = createEncryptedFileSecretStore({ path, key: KEY });
    expect(await reopened.get(secretAccounts.session)).toBe('refresh-token-value-2');
    expect(await reopened.get('cloudflare-token:conn_abc123')).toBe(TOKEN);
    expect(await reopened.listAccounts()).toEqual([
      'cloudflare-token:conn_abc123',
      'session',
      'wireguard-key:conn_abc123',
    ]);
    expect(await reopened.delete(secretAccounts.session)).toBe(true);
    expect(await reopened.delete(secretAccounts.session)).toBe(false);
    expect(await store.get(secretAccounts.session)).toBeNull();
    expect(store.backend).toBe('encrypted-file');
    expect(store.location).toBe(path);
  });

  it('writes neither secrets nor account names in the clear', async () => {
    const store = createEncryptedFileSecretStore({ path, key: KEY });
    await store.set(secretAccounts.cloudflareToken('conn_abc123'), TOKEN);
    await store.set(secretAccounts.wireguardKey('conn_abc123'), WG_KEY);
    const text = await readFile(path, 'utf8');
    for (const needle of [TOKEN, WG_KEY, 'conn_abc123', 'cloudflare-token', KEY])
      expect(text).not.toContain(needle);
    const file = await readJson();
    expect(file).toMatchObject({
      format: 'cloud-connect-secrets',
      version: 1,
      cipher: 'aes-256-gcm',
    });
    expect(file.kdf).toMatchObject({ name: 'scrypt', N: 32768, r: 8, p: 1 });
    expect(Buffer.from(file.kdf.salt as string, 'base64')).toHaveLength(16);
    expect(Buffer.from(file.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(file.tag, 'base64')).toHaveLength(16);
  });

  it('uses a fresh random IV on every write and keeps the salt', async () => {
    const store = createEncryptedFileSecretStore({ path, key: KEY });
    await store.set(secretAccounts.session, 'same');
    const first = await readJson();
    await store.set(secretAccounts.session, 'same');
    const second = await readJson();
    expect(second.iv).not.toBe(first.iv);
    expect(second.data).not.toBe(first.data);
    expect(second.kdf.salt).toBe(first.kdf.salt);
  });

  it('creates the file with mode 0600 and its folder with 0700 even under umask 000', async () => {
    const previous = process.umask(0);
    try {
      const store = createEncryptedFileSecretStore({ path, key: KEY });
      await store.set(secretAccounts.session, 'x');
      await store.set(secretAccounts.session, 'y');
    } finally {
      process.umask(previous);
    }
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'data'))).mode & 0o777).toBe(0o700);
  });

  it('refuses to open the file with another key, and leaves it untouched', async () => {
    await createEncryptedFileSecretStore({ path, key: KEY }).set(
      secretAccounts.session,
      'secret-value',
    );
    const before = await readFile(path, 'utf8');
    const wrong = createEncryptedFileSecretStore({ path, key: OTHER_KEY });
    const err = await rejection(wrong.get(secretAccounts.session));
    expect(err.code).toBe('SECRET_KEY_WRONG');
    expect(err.message).toMatch(/CLOUD_CONNECT_SECRET_KEY/);
    expect((await rejection(wrong.set(secretAccounts.session, 'overwrite'))).code).toBe(
      'SECRET_KEY_WRONG',
    );
    expect((await rejection(wrong.listAccounts())).code).toBe('SECRET_KEY_WRONG');
    expect(await readFile(path, 'utf8')).toBe(before);
    expect(JSON.stringify(err)).not.toContain('secret-value');
  });

  it.each([
    ['a flipped ciphertext byte', (f: FileJson) => ({ ...f, data: flipFirstByte(f.data) })],
    ['a flipped tag byte', (f: FileJson) => ({ ...f, tag: flipFirstByte(f.tag) })],
    ['another IV', (f: FileJson) => ({ ...f, iv: flipFirstByte(f.iv) })],
    [
      'a truncated tag',
      (f: FileJson) => ({
        ...f,
        tag: Buffer.from(f.tag, 'base64').subarray(0, 8).toString('base64'),
      }),
    ],
    [
      'a truncated ciphertext',
      (f: FileJson) => ({
        ...f,
        data: Buffer.from(f.data, 'base64').subarray(1).toString('base64'),
      }),
    ],
  ])('detects %s as tampering and then neither reads nor overwrites', async (_what, alter) => {
    const store = createEncryptedFileSecretStore({ path, key: KEY });
    await store.set(secretAccounts.session, 'secret-value');
    await writeFile(path, JSON.stringify(alter(await readJson())));
    const tampered = await readFile(path, 'utf8');
    const err = await rejection(store.get(secretAccounts.session));
    expect(err.code).toBe('SECRET_FILE_TAMPERED');
    expect((await rejection(store.set(secretAccounts.session, 'new'))).code).toBe(
      'SECRET_FILE_TAMPERED',
    );
    expect(await readFile(path, 'utf8')).toBe(tampered);
  });

  it('treats an altered KDF header as not opening with this key', async () => {
    const store = createEncryptedFileSecretStore({ path, key: KEY });
    await store.set(secretAccounts.session, 'secret-value');
    const file = await readJson();
    await writeFile(
      path,
      JSON.stringify({
        ...file,
        kdf: { ...file.kdf, salt: flipFirstByte(file.kdf.salt as string) },
      }),
    );
    expect(
      (await rejection(createEncryptedFileSecretStore({ path, key: KEY }).get('session'))).code,
    ).toBe('SECRET_KEY_WRONG');
  });

  it.each([
    ['not JSON', '{"format": "cloud-connect-secr'],
    ['JSON of another shape', '{"hello":"world"}'],
    ['an unknown version', null],
    ['a KDF cost outside the allowed range', 'huge-N'],
  ])('reports a file that is %s as corrupt', async (_what, content) => {
    const store = createEncryptedFileSecretStore({ path, key: KEY });
    await store.set(secretAccounts.session, 'secret-value');
    const file = await readJson();
    const text =
      content === null
        ? JSON.stringify({ ...file, version: 2 })
        : content === 'huge-N'
          ? JSON.stringify({ ...file, kdf: { ...file.kdf, N: 2 ** 30 } })
          : content;
    await writeFile(path, text);
    const err = await rejection(store.get(secretAccounts.session));
    expect(err.code).toBe('SECRET_FILE_CORRUPT');
    expect(err.message).toContain(path);
  });

  it('rejects keys that are missing or shorter than 32 characters', () => {
    const attempt = (key: string) => {
      try {
        createEncryptedFileSecretStore({ path, key });
        return null;
      } catch (e) {
        return e;
      }
    };
    const short = attempt('too-short-key');
    expect(short).toBeInstanceOf(SecretError);
    expect((short as SecretError).code).toBe('SECRET_KEY_TOO_SHORT');
    expect((short as SecretError).message).toMatch(/at least 32/);
    expect((short as SecretError).message).not.toContain('too-short-key');
    expect((attempt('') as SecretError).code).toBe('SECRET_KEY_MISSING');
    expect(attempt('x'.repeat(32))).toBeNull();
  });

  it('keeps every one of many concurrent writes from two store objects', async () => {
    const a = createEncryptedFileSecretStore({ path, key: KEY });
    const b = createEncryptedFileSecretStore({ path, key: KEY });
    const writes = Array.from({ length: 40 }, (_, i) =>
      (i % 2 === 0 ? a : b).set(
        secretAccounts.instanceToken(`inst_${String(i).padStart(10, '0')}`),
        `token-${i}`,
      ),
    );
    await Promise.all([...writes, a.delete('session'), b.listAccounts()]);
    const accounts = await createEncryptedFileSecretStore({ path, key: KEY }).listAccounts();
    expect(accounts).toHaveLength(40);
    for (let i = 0; i < 40; i++)
      expect(await b.get(`instance-token:inst_${String(i).padStart(10, '0')}`)).toBe(`token-${i}`);
    // Only the secrets file is left: no temp file from any of the 40 atomic writes.
    expect(await readdir(join(dir, 'data'))).toEqual(['secrets.enc.json']);
  });

  it('rejects malformed account names and empty secrets without writing', async () => {
    const store = createEncryptedFileSecretStore({ path, key: KEY });
    expect((await rejection(store.set('Session Token', 'x'))).code).toBe('INVALID_ACCOUNT');
    expect((await rejection(store.get('../etc/passwd'))).code).toBe('INVALID_ACCOUNT');
    expect((await rejection(store.set('session', ''))).code).toBe('INVALID_SECRET');
    expect((await rejection(store.set('session', 'x'.repeat(64 * 1024 + 1)))).code).toBe(
      'INVALID_SECRET',
    );
    await expect(stat(path)).rejects.toThrow();
  });

  it('does not mistake Object.prototype members for stored secrets', async () => {
    const store = createEncryptedFileSecretStore({ path, key: KEY });
    await store.set('session', 'x');
    expect(await store.get('constructor')).toBeNull();
    expect(await store.delete('constructor')).toBe(false);
  });

  it('reports an unusable path as SECRET_FILE_UNAVAILABLE', async () => {
    await mkdir(path, { recursive: true }); // a folder where the file should be
    const store = createEncryptedFileSecretStore({ path, key: KEY });
    expect((await rejection(store.get('session'))).code).toBe('SECRET_FILE_UNAVAILABLE');
    expect((await rejection(store.set('session', 'x'))).code).toBe('SECRET_FILE_UNAVAILABLE');
  });
});
