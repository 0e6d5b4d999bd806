import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { HostApi, ManagerApi, Result } from '@cloud-connect/agent-core/desktop';

/**
 * Set by `npm start` for the relay it launched: that relay's data dir. Its mail outbox is the
 * trial's mailbox, so the app may open it for the user and verify a sign-up in one click.
 */
export const LOCAL_RELAY_DIR_VARIABLE = 'CLOUD_CONNECT_LOCAL_RELAY_DIR';

/** The local relay whose outbox the app may read: its API URL and its outbox folder. */
export interface LocalRelayMail {
  relayUrl: string;
  outboxDir: string;
}

/** Loopback only: a relay anywhere else is someone's real relay, whose mail is not ours. */
function isLoopbackUrl(raw: string): boolean {
  const url = URL.parse(raw);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return false;
  const host = url.hostname;
  return host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/**
 * The local relay of this process's environment: `CLOUD_CONNECT_LOCAL_RELAY_DIR` (its data
 * dir) with `CLOUD_CONNECT_RELAY_URL` (its API) on loopback, both as `npm start` sets them. Null
 * otherwise, which is the default: a desktop app started any other way never reads an outbox.
 */
export function localRelayMail(env: NodeJS.ProcessEnv): LocalRelayMail | null {
  const dataDir = env[LOCAL_RELAY_DIR_VARIABLE]?.trim();
  const relayUrl = env.CLOUD_CONNECT_RELAY_URL?.trim().replace(/\/+$/, '');
  if (!dataDir || !relayUrl || !isLoopbackUrl(relayUrl)) return null;
  return { relayUrl, outboxDir: path.join(path.resolve(dataDir), 'outbox') };
}

const VERIFY_LINK = /\/verify-email\?token=([A-Za-z0-9_-]+)/;

/**
 * The token of the newest verification mail to `email` in `outboxDir` (one JSON file a mail,
 * named by the time it was sent, as relay-server's outbox mailer writes them), or null.
 */
export async function newestVerificationToken(
  outboxDir: string,
  email: string,
): Promise<string | null> {
  const names = await readdir(outboxDir).catch(() => [] as string[]);
  const wanted = email.trim().toLowerCase();
  for (const name of names
    .filter((n) => n.endsWith('.json'))
    .sort()
    .reverse()) {
    const mail = await readFile(path.join(outboxDir, name), 'utf8')
      .then((text) => JSON.parse(text) as { to?: unknown; text?: unknown })
      .catch(() => null);
    if (typeof mail?.to !== 'string' || mail.to.toLowerCase() !== wanted) continue;
    const token = typeof mail.text === 'string' ? VERIFY_LINK.exec(mail.text)?.[1] : undefined;
    if (token) return token;
  }
  return null;
}

/** What a host adds to the DesktopApi for one-click verification on a local relay. */
export interface LocalVerification {
  /** The local relay's URL, for AppInfo (the renderer offers the button while it is in use). */
  relayUrl: string | null;
  verifyEmailLocally: HostApi['verifyEmailLocally'];
}

const NOT_LOCAL =
  'One-click verification works only with the local relay that `npm start` runs; open the link in the email instead';

/** A host without a local relay: no button, and the call is refused. */
export const NO_LOCAL_VERIFICATION: LocalVerification = {
  relayUrl: null,
  verifyEmailLocally: async () => ({ ok: false, code: 'NOT_SUPPORTED', message: NOT_LOCAL }),
};

/**
 * One-click verification: the host opens the local relay's outbox as the user would open
 * their mail, takes the newest verification link to `email` and verifies with it, through the
 * Manager, as if it had been pasted. Refused unless a local relay is configured
 * (`localRelayMail`) and is the relay the app uses now (the user may have switched to another
 * in Settings). The token is never logged or returned.
 */
export function localVerification(
  local: LocalRelayMail | null,
  manager: Pick<ManagerApi, 'getSession' | 'verifyEmail'>,
): LocalVerification {
  if (!local) return NO_LOCAL_VERIFICATION;
  return {
    relayUrl: local.relayUrl,
    async verifyEmailLocally(email): Promise<Result<{ message: string }>> {
      const session = await manager.getSession();
      if (!session.ok) return session;
      if (session.value.relayUrl !== local.relayUrl) {
        return {
          ok: false,
          code: 'NOT_SUPPORTED',
          message: `${NOT_LOCAL} (the app now uses ${session.value.relayUrl})`,
        };
      }
      const token = await newestVerificationToken(local.outboxDir, email);
      if (!token) {
        return {
          ok: false,
          code: 'NOT_FOUND',
          message: `No verification mail to ${email.trim()} is in the local relay's outbox`,
        };
      }
      return manager.verifyEmail(token);
    },
  };
}
