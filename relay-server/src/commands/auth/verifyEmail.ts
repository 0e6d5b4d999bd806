import { AppError } from '../../errors/appError.js';
import { toRegisteredUser } from '../../presenters/user.js';
import type { Services } from '../../services.js';
import { hashToken, sendEmailToken } from './emailTokens.js';

/** Confirm the address with the single-use token from the verification email. */
export async function verifyEmail(deps: Services, token: string) {
  const now = deps.clock.now().toISOString();
  const record = await deps.store.emailTokens.consume(hashToken(token), 'verify', now);
  const user = record && (await deps.store.users.get(record.userId));
  if (!user) {
    throw AppError.validation(
      'token',
      'is invalid, expired or already used; ask for a new verification email',
    );
  }
  const verified = user.emailVerifiedAt
    ? user
    : ((await deps.store.users.update(user.id, { emailVerifiedAt: now })) ?? user);
  return { message: 'Email verified', user: toRegisteredUser(verified) };
}

export const RESEND_ANSWER = 'If an unverified account exists, a verification email has been sent';

/** Send the verification email again; the answer never tells whether the account exists. */
export async function resendVerification(deps: Services, email: string) {
  await deps.limits.consume('mailPerAccount', `verify:${email}`);
  const user = await deps.store.users.findByEmail(email);
  if (user && !user.emailVerifiedAt) await sendEmailToken(deps, user, 'verify');
  return { message: RESEND_ANSWER };
}
