import type { RequestOf } from '@cloud-connect/agent-core/api';
import { newId } from '../../ids.js';
import { alreadyRegisteredMail } from '../../mail/templates.js';
import { toRegisteredUser } from '../../presenters/user.js';
import type { Services } from '../../services.js';
import { StoreConflictError, type UserRecord } from '../../store/types.js';
import { sendEmailToken } from './emailTokens.js';

export const SIGN_UP_ANSWER = 'Check your email to finish signing up';

/**
 * Sign up without revealing whether the address already has an account (OWASP: account
 * enumeration). Both paths take the same steps, so the answer and its timing are the same:
 * one mail budget spent, one argon2id hash, one user insert attempted, one email token
 * written and one mail sent. A new address gets its verification link; the owner of a taken
 * one is told that someone tried, with a password-reset link.
 *
 * The 201 body keeps seed 003's shape. For a taken address its `user` is the account that
 * would have been created (a fresh id that is never stored, the submitted name and email,
 * pending verification): nothing in it differs from a real sign-up's, and nothing it holds
 * can be used, since an id alone opens nothing.
 */
export async function registerUser(deps: Services, input: RequestOf<'register'>['body']) {
  // Per address, whether or not it has an account: also bounds the owner's "someone tried" mails.
  await deps.limits.consume('mailPerAccount', `register:${input.email}`);
  const now = deps.clock.now().toISOString();
  const candidate: UserRecord = {
    id: newId('usr'),
    email: input.email,
    name: input.name,
    passwordHash: await deps.passwords.hash(input.password),
    createdAt: now,
    emailVerifiedAt: null,
    acceptMarketing: input.accept_marketing,
    termsAcceptedAt: now,
    clientVersion: input.erugo_version ?? null,
    stripeCustomerId: null,
    subscription: null,
  };
  const created = await createUnlessTaken(deps, candidate);
  if (created) {
    await sendEmailToken(deps, created, 'verify');
  } else {
    const owner = await deps.store.users.findByEmail(input.email);
    // Deleted between the insert and this read: nobody to tell, and the answer stays the same.
    if (owner) await sendEmailToken(deps, owner, 'reset', alreadyRegisteredMail);
    deps.logger.info({ email: input.email }, 'sign-up with a registered email; owner notified');
  }
  return { user: toRegisteredUser(candidate), message: SIGN_UP_ANSWER };
}

/** Insert the user, or null when the email is taken (the store's unique index decides). */
async function createUnlessTaken(deps: Services, user: UserRecord): Promise<UserRecord | null> {
  try {
    return await deps.store.users.create(user);
  } catch (e) {
    if (e instanceof StoreConflictError && e.field === 'email') return null;
    throw e;
  }
}
