import type { RequestOf } from '@cloud-connect/agent-core/api';
import { AppError } from '../../errors/appError.js';
import { toSessionUser } from '../../presenters/user.js';
import type { Services } from '../../services.js';
import { issueSession } from './issueSession.js';

/** A hash of a random password, verified when the email is unknown so both paths cost the same. */
let decoyHash: Promise<string> | null = null;

/**
 * Check the password and open a session. Failures slow down the source that made them (and,
 * far later, unfamiliar sources of the account), so guesses from one address never lock the
 * owner out elsewhere; `source` is the client's address.
 */
export async function loginUser(deps: Services, input: RequestOf<'login'>['body'], source: string) {
  const { logins } = deps.limits;
  return logins.oneAtATime(input.email, source, async () => {
    await logins.check(input.email, source, deps.clock.now());
    const user = await deps.store.users.findByEmail(input.email);
    decoyHash ??= deps.passwords.hash('decoy-password-for-unknown-accounts');
    const ok = await deps.passwords.verify(user?.passwordHash ?? (await decoyHash), input.password);
    if (!user || !ok) {
      await logins.failed(input.email, source, deps.clock.now());
      throw AppError.unauthorized('Email or password is incorrect');
    }
    await logins.succeeded(input.email, source, deps.clock.now());
    return { ...(await issueSession(deps, user.id)), user: toSessionUser(user) };
  });
}
