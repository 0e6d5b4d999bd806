import type { Services } from '../../services.js';
import { ACCESS_TTL_SECONDS, randomId, REFRESH_TTL_SECONDS } from '../../tokens/tokens.js';

/** An access token and a refresh token in `familyId` (a new family at login). */
export async function issueSession(
  deps: Pick<Services, 'store' | 'tokens' | 'clock'>,
  userId: string,
  familyId: string = randomId(),
) {
  const now = deps.clock.now();
  const tokenId = randomId();
  await deps.store.refreshTokens.create({
    id: tokenId,
    familyId,
    userId,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + REFRESH_TTL_SECONDS * 1000).toISOString(),
    usedAt: null,
    revokedAt: null,
  });
  const [access_token, refresh_token] = await Promise.all([
    deps.tokens.signAccess(userId),
    deps.tokens.signRefresh(userId, tokenId, familyId),
  ]);
  return {
    access_token,
    refresh_token,
    token_type: 'Bearer' as const,
    expires_in: ACCESS_TTL_SECONDS,
  };
}
