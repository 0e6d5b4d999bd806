import type { RequestOf } from '@cloud-connect/agent-core/api';
import { AppError } from '../../errors/appError.js';
import { toSessionUser } from '../../presenters/user.js';
import type { Services } from '../../services.js';
import { issueSession } from './issueSession.js';

/** A hash of a random password, verified when the email is unknown so both paths cost the same. */
let decoyHash: Promise<string> | null = null;

/**
 * Check the password and open a session. Failed attempts count against the account; when its
 * budget is spent even the right password waits, which stops guessing from many addresses.
 */
export async function loginUser(deps: Services, input: RequestOf<'login'>['body']) {
  await deps.limits.check('loginFailuresPerAccount', input.email);
  const user = await deps.store.users.findByEmail(input.email);
  decoyHash ??= deps.passwords.hash('decoy-password-for-unknown-accounts');
  const ok = await deps.passwords.verify(user?.passwordHash ?? (await decoyHash), input.password);
  if (!user || !ok) {
    await deps.limits.consume('loginFailuresPerAccount', input.email);
    throw AppError.unauthorized('Email or password is incorrect');
  }
  await deps.limits.reset('loginFailuresPerAccount', input.email);
  return { ...(await issueSession(deps, user.id)), user: toSessionUser(user) };
}
