import { AppError } from '../../errors/appError.js';
import type { Services } from '../../services.js';
import { issueSession } from './issueSession.js';

/**
 * Rotate a refresh token. A token that was already used (or revoked) means it leaked or was
 * replayed: the whole family is revoked, so the thief and the owner both have to sign in.
 */
export async function refreshSession(deps: Services, refreshToken: string) {
  const claims = await deps.tokens.verifyRefresh(refreshToken);
  if (!claims)
    throw AppError.unauthorized('The refresh token is invalid or expired; sign in again');
  const now = deps.clock.now().toISOString();
  const record = await deps.store.refreshTokens.get(claims.tokenId);
  if (!record || record.familyId !== claims.familyId || record.userId !== claims.userId) {
    throw AppError.unauthorized('The refresh token is invalid or expired; sign in again');
  }
  if (!(await deps.store.refreshTokens.use(record.id, now))) {
    await deps.store.refreshTokens.revokeFamily(record.familyId, now);
    deps.logger.warn(
      { user_id: record.userId, family: record.familyId },
      'refresh token reused; family revoked',
    );
    throw AppError.unauthorized(
      'This session was signed out because its refresh token was used twice; sign in again',
    );
  }
  if (!(await deps.store.users.get(record.userId))) throw AppError.unauthorized();
  return issueSession(deps, record.userId, record.familyId);
}
