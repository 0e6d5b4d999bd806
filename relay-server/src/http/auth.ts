import type { InstanceRecord, Store } from '../store/types.js';
import { AppError } from '../errors/appError.js';
import type { TokenService } from '../tokens/tokens.js';
import type { AppMiddleware } from './context.js';
import { VerifiedTokens } from './verifiedTokens.js';

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearer(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1] ?? null;
}

/** Requires a valid access token of an existing user; sets `ctx.state.user`. */
export function requireUser(tokens: TokenService, store: Store): AppMiddleware {
  return async (ctx, next) => {
    const token = bearer(ctx.get('authorization'));
    if (!token)
      throw AppError.unauthorized('Sign in first: send Authorization: Bearer <access token>');
    const claims = await tokens.verifyAccess(token);
    const user = claims && (await store.users.get(claims.userId));
    if (!user) throw AppError.unauthorized();
    ctx.state.user = user;
    await next();
  };
}

/**
 * The check every instance-token call makes, outside Koa too (the stream transport's upgrade):
 * a valid instance token whose id is still current (regenerate-token changes it, so the old
 * token stops working on the very next call) of an instance that still exists. Signature
 * checks are remembered per token (the heartbeat path); the token id is checked against the
 * store on every call. Throws the API's 401 otherwise.
 */
export function instanceTokenCheck(
  tokens: TokenService,
  store: Store,
): (authorization: string | undefined) => Promise<InstanceRecord> {
  const verified = new VerifiedTokens((token: string) => tokens.verifyInstance(token));
  return async (authorization) => {
    const token = bearer(authorization);
    if (!token)
      throw AppError.unauthorized(
        'Send the instance token: Authorization: Bearer <instance token>',
      );
    const claims = await verified.claims(token);
    const instance = claims && (await store.instances.get(claims.instanceId));
    if (
      !claims ||
      !instance ||
      instance.tokenId !== claims.tokenId ||
      instance.userId !== claims.userId
    ) {
      throw AppError.unauthorized(
        'The instance token is invalid or was revoked; create a new one with regenerate-token',
      );
    }
    return instance;
  };
}

/** Requires a valid, current instance token (`instanceTokenCheck`); sets `ctx.state.instance`. */
export function requireInstance(tokens: TokenService, store: Store): AppMiddleware {
  const check = instanceTokenCheck(tokens, store);
  return async (ctx, next) => {
    ctx.state.instance = await check(ctx.get('authorization'));
    await next();
  };
}
