import { createHash, randomBytes } from 'node:crypto';
import type { MailMessage } from '../../mail/mailer.js';
import { passwordResetMail, verificationMail } from '../../mail/templates.js';
import type { Services } from '../../services.js';
import type { EmailTokenPurpose, UserRecord } from '../../store/types.js';

const TTL_MS: Record<EmailTokenPurpose, number> = { verify: 24 * 3600_000, reset: 3600_000 };
const PAGE: Record<EmailTokenPurpose, string> = { verify: 'verify-email', reset: 'reset-password' };
const MAIL: Record<EmailTokenPurpose, MailTemplate> = {
  verify: verificationMail,
  reset: passwordResetMail,
};

/** A message carrying a link, addressed to a user by name. */
export type MailTemplate = (to: string, name: string, link: string) => MailMessage;

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** What a mailed token looks like: 32 random bytes, base64url. A link page checks it. */
export const EMAIL_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Issue a single-use email token (only its hash is stored; earlier unused ones of the same
 * purpose stop working) and mail the link `<RELAY_PUBLIC_URL>/<page>?token=…`, worded by
 * `mail` (the purpose's usual message by default).
 *
 * A failed send is logged, not thrown: the account change is already committed, and an
 * error only for existing accounts would tell forgot-password's caller which emails have one.
 * The user asks again (resend-verification, forgot-password) once mail works.
 */
export async function sendEmailToken(
  deps: Pick<Services, 'store' | 'mailer' | 'clock' | 'config' | 'logger'>,
  user: UserRecord,
  purpose: EmailTokenPurpose,
  mail: MailTemplate = MAIL[purpose],
): Promise<void> {
  const now = deps.clock.now();
  const token = randomBytes(32).toString('base64url');
  await deps.store.emailTokens.invalidateForUser(user.id, purpose, now.toISOString());
  await deps.store.emailTokens.create({
    hash: hashToken(token),
    userId: user.id,
    purpose,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + TTL_MS[purpose]).toISOString(),
    usedAt: null,
  });
  const link = `${deps.config.publicUrl}/${PAGE[purpose]}?token=${token}`;
  try {
    await deps.mailer.send(mail(user.email, user.name, link));
  } catch (e) {
    deps.logger.error(
      { to: user.email, purpose, mail: deps.mailer.kind, reason: (e as Error).message },
      'mail could not be sent',
    );
  }
}
