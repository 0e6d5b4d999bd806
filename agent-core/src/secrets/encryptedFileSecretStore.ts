import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  scrypt,
  timingSafeEqual,
} from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { KeyedLock } from '../concurrency/keyedLock.js';
import { assertAccount, assertSecret } from './secretAccounts.js';
import { SecretError } from './secretError.js';
import type { SecretStore } from './secretStore.js';

/** Shortest `CLOUD_CONNECT_SECRET_KEY` accepted: 32 characters, e.g. `openssl rand -base64 32` (44). */
export const MIN_SECRET_KEY_LENGTH = 32;

/** scrypt cost written into new files (OWASP: N=2^15, r=8, p=1 uses 32 MiB and ~0.1 s). */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const IV_BYTES = 12; // 96-bit IV, the size GCM is specified for
const TAG_BYTES = 16;
const FORMAT = 'cloud-connect-secrets';
const CIPHER = 'aes-256-gcm';
const KEY_CHECK_LABEL = 'cloud-connect secret key check v1';

const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);

/** The file on disk: a KDF header and one AES-256-GCM ciphertext holding every secret. */
const SecretFile = z.strictObject({
  format: z.literal(FORMAT),
  version: z.literal(1),
  kdf: z.strictObject({
    name: z.literal('scrypt'),
    // Bounded so an altered header cannot make us spend gigabytes or minutes deriving a key.
    N: z
      .number()
      .int()
      .min(2 ** 14)
      .max(2 ** 20)
      .refine((n) => (n & (n - 1)) === 0, 'must be a power of two'),
    r: z.number().int().min(1).max(16),
    p: z.number().int().min(1).max(4),
    salt: Base64,
  }),
  keyCheck: Base64,
  cipher: z.literal(CIPHER),
  iv: Base64,
  tag: Base64,
  data: Base64,
});
type SecretFile = z.infer<typeof SecretFile>;
type KdfParams = SecretFile['kdf'];

const Plaintext = z.strictObject({ secrets: z.record(z.string(), z.string()) });

interface DerivedKey {
  encryption: Buffer;
  check: Buffer;
}

export interface EncryptedFileSecretStoreOptions {
  /** Path of the secrets file, e.g. `<data dir>/secrets.enc.json`. */
  path: string;
  /** The passphrase, normally `CLOUD_CONNECT_SECRET_KEY`. */
  key: string;
}

/** Throws SECRET_KEY_MISSING / SECRET_KEY_TOO_SHORT for a key that cannot protect anything. */
export function assertSecretKey(key: string | undefined): asserts key is string {
  if (key === undefined || key === '') {
    throw new SecretError(
      'SECRET_KEY_MISSING',
      'CLOUD_CONNECT_SECRET_KEY is not set: set it (at least 32 characters, e.g. `openssl rand -base64 32`) to use the encrypted-file secret store',
    );
  }
  if (key.length < MIN_SECRET_KEY_LENGTH) {
    throw new SecretError(
      'SECRET_KEY_TOO_SHORT',
      `CLOUD_CONNECT_SECRET_KEY is ${key.length} characters; it must be at least ${MIN_SECRET_KEY_LENGTH} (e.g. \`openssl rand -base64 32\`)`,
      { length: key.length, minimum: MIN_SECRET_KEY_LENGTH },
    );
  }
}

// One queue per file across every store object in this process, so concurrent writes never lose
// an update (each read-modify-write sees the previous one's result).
const fileLocks = new KeyedLock();

function deriveKey(passphrase: string, kdf: KdfParams): Promise<DerivedKey> {
  const salt = Buffer.from(kdf.salt, 'base64');
  return new Promise((resolveKey, reject) => {
    // 64 bytes: the first half encrypts, the second half only proves the passphrase is right.
    scrypt(
      passphrase,
      salt,
      64,
      { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r + 1024 * 1024 },
      (err, out) => {
        if (err) reject(err);
        else resolveKey({ encryption: out.subarray(0, 32), check: out.subarray(32) });
      },
    );
  });
}

function keyCheck(key: DerivedKey): Buffer {
  return createHmac('sha256', key.check).update(KEY_CHECK_LABEL).digest();
}

/** The header is authenticated as GCM associated data, so it cannot be swapped under the ciphertext. */
function associatedData(kdf: KdfParams): Buffer {
  return Buffer.from(JSON.stringify({ format: FORMAT, version: 1, cipher: CIPHER, kdf }));
}

function fileError(cause: unknown, path: string, action: string): SecretError {
  const code = (cause as NodeJS.ErrnoException | null)?.code;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new SecretError(
    'SECRET_FILE_UNAVAILABLE',
    `cannot ${action} the secrets file ${path}${code ? ` (${code})` : ''}: check its permissions and free space`,
    {
      path,
      cause: reason,
    },
  );
}

/**
 * Secrets in one AES-256-GCM encrypted file, for headless hosts with no keychain (seed 000's
 * encrypted token storage). The key comes from a passphrase through scrypt with a random salt
 * kept in the file; every write uses a fresh random 96-bit IV and replaces the whole file
 * atomically (temp file, fsync, rename) with mode 0600.
 */
export function createEncryptedFileSecretStore(
  options: EncryptedFileSecretStoreOptions,
): SecretStore {
  assertSecretKey(options.key);
  const passphrase = options.key;
  const path = resolve(options.path);
  // scrypt is slow on purpose: derive once per salt and keep the result for this store.
  let cached: { salt: string; key: Promise<DerivedKey> } | null = null;

  const keyFor = (kdf: KdfParams): Promise<DerivedKey> => {
    if (cached?.salt !== kdf.salt) {
      const key = deriveKey(passphrase, kdf);
      cached = { salt: kdf.salt, key };
      key.catch(() => {
        cached = null;
      });
    }
    return cached.key;
  };

  /** Reads and decrypts the file: the secrets plus the KDF header to reuse, or null when absent. */
  async function load(): Promise<{ secrets: Record<string, string>; kdf: KdfParams | null }> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return { secrets: {}, kdf: null };
      throw fileError(cause, path, 'read');
    }
    let file: SecretFile;
    try {
      file = SecretFile.parse(JSON.parse(text));
    } catch {
      throw new SecretError(
        'SECRET_FILE_CORRUPT',
        `${path} is not a Cloud Connect secrets file (it may be truncated or from another program); move it away to start a new one`,
        { path },
      );
    }
    const key = await keyFor(file.kdf);
    const expected = keyCheck(key);
    const stored = Buffer.from(file.keyCheck, 'base64');
    if (stored.length !== expected.length || !timingSafeEqual(stored, expected)) {
      throw new SecretError(
        'SECRET_KEY_WRONG',
        `CLOUD_CONNECT_SECRET_KEY is not the key ${path} was written with: set the original key, or move the file away to start over (its secrets are then lost)`,
        { path },
      );
    }
    const iv = Buffer.from(file.iv, 'base64');
    const tag = Buffer.from(file.tag, 'base64');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new SecretError(
        'SECRET_FILE_TAMPERED',
        `${path} has been altered (bad IV or tag length); its secrets cannot be trusted`,
        { path },
      );
    }
    let plaintext: string;
    try {
      const decipher = createDecipheriv(CIPHER, key.encryption, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(associatedData(file.kdf));
      decipher.setAuthTag(tag);
      plaintext = Buffer.concat([
        decipher.update(Buffer.from(file.data, 'base64')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new SecretError(
        'SECRET_FILE_TAMPERED',
        `${path} has been altered: its contents fail authentication, so none of its secrets are used`,
        { path },
      );
    }
    try {
      return { secrets: Plaintext.parse(JSON.parse(plaintext)).secrets, kdf: file.kdf };
    } catch {
      throw new SecretError(
        'SECRET_FILE_CORRUPT',
        `${path} decrypted to something that is not a secrets list`,
        { path },
      );
    }
  }

  async function save(
    secrets: Record<string, string>,
    previousKdf: KdfParams | null,
  ): Promise<void> {
    const kdf: KdfParams = previousKdf ?? {
      name: 'scrypt',
      ...SCRYPT,
      salt: randomBytes(SALT_BYTES).toString('base64'),
    };
    const key = await keyFor(kdf);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, key.encryption, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(kdf));
    const data = Buffer.concat([
      cipher.update(JSON.stringify({ secrets }), 'utf8'),
      cipher.final(),
    ]);
    const file: SecretFile = {
      format: FORMAT,
      version: 1,
      kdf,
      keyCheck: keyCheck(key).toString('base64'),
      cipher: CIPHER,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
    const dir = dirname(path);
    const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.chmod(0o600); // exact mode whatever the umask
        await handle.writeFile(`${JSON.stringify(file, null, 2)}\n`, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, path);
    } catch (cause) {
      await rm(temp, { force: true });
      throw fileError(cause, path, 'write');
    }
    // Make the rename itself durable; some filesystems refuse to fsync a directory, which is fine.
    try {
      const dirHandle = await open(dir, 'r');
      try {
        await dirHandle.sync();
      } finally {
        await dirHandle.close();
      }
    } catch {
      // best effort
    }
  }

  return {
    backend: 'encrypted-file',
    location: path,
    async get(account) {
      assertAccount(account);
      return fileLocks.run(path, async () => {
        const { secrets } = await load();
        // hasOwn: an account named like an Object.prototype member must not find the prototype's.
        return Object.hasOwn(secrets, account) ? (secrets[account] ?? null) : null;
      });
    },
    async set(account, secret) {
      assertAccount(account);
      assertSecret(secret);
      await fileLocks.run(path, async () => {
        const { secrets, kdf } = await load();
        await save({ ...secrets, [account]: secret }, kdf);
      });
    },
    async delete(account) {
      assertAccount(account);
      return fileLocks.run(path, async () => {
        const { secrets, kdf } = await load();
        if (!Object.hasOwn(secrets, account)) return false;
        const { [account]: _removed, ...rest } = secrets;
        await save(rest, kdf);
        return true;
      });
    },
    async listAccounts() {
      return fileLocks.run(path, async () => Object.keys((await load()).secrets).sort());
    },
  };
}
