import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { ConfigError } from './config.js';

/**
 * Make sure RELAY_DATA_DIR is a directory this process can write (created owner-only when
 * missing), so a wrong path stops start-up with a message naming the variable rather than
 * an errno from whichever file happens to be opened first.
 */
export async function prepareDataDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new ConfigError(
      'RELAY_DATA_DIR',
      `"${dir}" cannot be used as the data directory (${code}); point it at a writable directory`,
    );
  }
}

/**
 * Create `file` (mode 0600) holding `content` unless it exists, and answer what it holds.
 * The content is written to a temp file and hard-linked into place, so a crash never leaves
 * an empty or half-written file behind, and two processes starting at once keep one value.
 */
export async function createOnce(file: string, content: string): Promise<string> {
  // The usual case, every start after the first: nothing to write.
  const existing = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw e;
  });
  if (existing !== null) return existing;
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, content, { mode: 0o600, flag: 'wx' });
  try {
    await link(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    await rm(tmp, { force: true });
  }
  return readFile(file, 'utf8');
}
