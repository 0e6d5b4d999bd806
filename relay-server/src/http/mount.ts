import type Router from '@koa/router';
import {
  endpoints,
  type EndpointName,
  type RequestOf,
  type ResponseOf,
} from '@cloud-connect/agent-core/api';
import type { AppContext, AppMiddleware, AppState } from './context.js';
import { requireJsonBody } from './mediaType.js';
import { parseRequest } from './validate.js';

export type Handler<N extends EndpointName> = (
  input: RequestOf<N>,
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
  options: { checkResponses?: boolean } = {},
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
