import type { RequestOf } from '@cloud-connect/agent-core/api';
import { AppError } from '../../errors/appError.js';
import { newId } from '../../ids.js';
import { toRegisteredUser } from '../../presenters/user.js';
import type { Services } from '../../services.js';
import { StoreConflictError } from '../../store/types.js';
import { sendEmailToken } from './emailTokens.js';

/** Create an account (password hashed with argon2id) and send the verification email. */
export async function registerUser(deps: Services, input: RequestOf<'register'>['body']) {
  if (await deps.store.users.findByEmail(input.email)) throw emailTaken();
  const now = deps.clock.now().toISOString();
  let user;
  try {
    user = await deps.store.users.create({
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
    });
  } catch (e) {
    if (e instanceof StoreConflictError) throw emailTaken();
    throw e;
  }
  await sendEmailToken(deps, user, 'verify');
  return { user: toRegisteredUser(user), message: 'Verification email sent' };
}

function emailTaken(): AppError {
  return new AppError(
    'EMAIL_ALREADY_REGISTERED',
    'An account with this email already exists; sign in or reset the password',
    {
      fields: { email: 'is already registered' },
    },
  );
}
