import type { RequestOf } from '@cloud-connect/agent-core/api';
import { AppError } from '../../errors/appError.js';
import type { Services } from '../../services.js';
import { hashToken, sendEmailToken } from './emailTokens.js';

export const RESET_REQUESTED = 'If an account exists, a reset email has been sent';

/** Mail a reset link if the account exists; the answer is the same either way. */
export async function requestPasswordReset(deps: Services, email: string) {
  await deps.limits.consume('mailPerAccount', `reset:${email}`);
  const user = await deps.store.users.findByEmail(email);
  if (user) await sendEmailToken(deps, user, 'reset');
  return { message: RESET_REQUESTED };
}

/** Set a new password with a single-use, one-hour token; every session of the user ends. */
export async function resetPassword(deps: Services, input: RequestOf<'resetPassword'>['body']) {
  const now = deps.clock.now().toISOString();
  const token = await deps.store.emailTokens.consume(hashToken(input.token), 'reset', now);
  const user = token && (await deps.store.users.get(token.userId));
  if (!user)
    throw AppError.validation(
      'token',
      'is invalid, expired or already used; ask for a new reset email',
    );
  await deps.store.users.update(user.id, {
    passwordHash: await deps.passwords.hash(input.password),
    // Following a link from the inbox proves the address too.
    emailVerifiedAt: user.emailVerifiedAt ?? now,
  });
  await deps.store.refreshTokens.revokeAllForUser(user.id, now);
  await deps.limits.logins.passwordChanged(user.email);
  return { message: 'Password reset successfully' };
}
