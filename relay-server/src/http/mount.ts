import type Router from '@koa/router';
import {
  endpoints,
  type EndpointName,
  type RequestOf,
  type ResponseOf,
} from '@cloud-connect/agent-core/api';
import type { Store, UserRecord } from '../store/types.js';
import type { TokenService } from '../tokens/tokens.js';
import { requireUser } from './auth.js';
import { userOf, type AppContext, type AppMiddleware, type AppState } from './context.js';
import { requireJsonBody } from './mediaType.js';
import { parseRequest } from './validate.js';

export type Handler<N extends EndpointName> = (
  input: RequestOf<N>,
  ctx: AppContext,
) => Promise<ResponseOf<N>> | ResponseOf<N>;

export interface MountOptions {
  /** Check every response against the endpoint's schema (tests turn this on). */
  checkResponses?: boolean;
}

/** A signed-in endpoint's handler: the parsed input and the user the access token names. */
export type UserHandler<N extends EndpointName> = (
  input: RequestOf<N>,
  user: UserRecord,
  ctx: AppContext,
) => Promise<ResponseOf<N>> | ResponseOf<N>;

/**
 * Mount one endpoint of the contract: a body that is not JSON is refused (415) before anything
 * else, then `guards` (auth, rate limits) run, then the
 * request is parsed against the endpoint's schemas and the handler's result is sent with
 * the endpoint's status. With `checkResponses`, the result is also checked against the
 * response schema (tests turn this on to catch drift from the contract).
 */
export function mount<N extends EndpointName>(
  router: Router<AppState>,
  name: N,
  guards: AppMiddleware[],
  handler: Handler<N>,
  options: MountOptions = {},
): void {
  const endpoint = endpoints[name];
  const method = endpoint.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete';
  router[method](name, endpoint.path, requireJsonBody, ...guards, async (ctx: AppContext) => {
    const input = parseRequest(endpoint, ctx) as RequestOf<N>;
    // Set first so a handler may answer another status (health answers 503 when degraded).
    ctx.status = endpoint.status;
    const out = await handler(input, ctx);
    if (options.checkResponses && 'response' in endpoint && endpoint.response) {
      endpoint.response.parse(out);
    }
    if (endpoint.status !== 204) ctx.body = out;
  });
}

/**
 * A `mount` for endpoints that need a signed-in user: `requireUser` runs first, then
 * `guards` (rate limits keyed by the user), and the handler gets the user.
 */
export function signedInMount(
  router: Router<AppState>,
  deps: { tokens: TokenService; store: Store },
  options: MountOptions,
) {
  const auth = requireUser(deps.tokens, deps.store);
  return <N extends EndpointName>(
    name: N,
    handler: UserHandler<N>,
    guards: AppMiddleware[] = [],
  ): void =>
    mount(
      router,
      name,
      [auth, ...guards],
      (input, ctx) => handler(input, userOf(ctx), ctx),
      options,
    );
}
