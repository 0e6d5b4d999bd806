import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface OutboxMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  sent_at: string;
  file: string;
}

/** Every message in `<data dir>/outbox/`, oldest first. */
export async function readOutbox(dataDir: string): Promise<OutboxMail[]> {
  const dir = path.join(dataDir, 'outbox');
  const names = (await readdir(dir).catch(() => [] as string[]))
    .filter((n) => n.endsWith('.json'))
    .sort();
  return Promise.all(
    names.map(async (n) => ({
      ...(JSON.parse(await readFile(path.join(dir, n), 'utf8')) as Omit<OutboxMail, 'file'>),
      file: n,
    })),
  );
}

/** The token of the newest `verify-email` or `reset-password` link mailed to `to`. */
export async function latestMailToken(
  dataDir: string,
  to: string,
  page: 'verify-email' | 'reset-password',
) {
  const mails = (await readOutbox(dataDir)).filter((m) => m.to === to);
  for (const m of mails.reverse()) {
    const match = new RegExp(`/${page}\\?token=([A-Za-z0-9_-]+)`).exec(m.text);
    if (match?.[1]) return match[1];
  }
  throw new Error(`no ${page} mail to ${to} in the outbox`);
}
