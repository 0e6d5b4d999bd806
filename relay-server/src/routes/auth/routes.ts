import type Router from '@koa/router';
import { loginUser } from '../../commands/auth/loginUser.js';
import { requestPasswordReset, resetPassword } from '../../commands/auth/passwordReset.js';
import { refreshSession } from '../../commands/auth/refreshSession.js';
import { registerUser } from '../../commands/auth/registerUser.js';
import { resendVerification, verifyEmail } from '../../commands/auth/verifyEmail.js';
import type { AppState } from '../../http/context.js';
import { mount } from '../../http/mount.js';
import { rateLimit } from '../../http/rateLimit.js';
import type { Services } from '../../services.js';

export function authRoutes(
  router: Router<AppState>,
  deps: Services,
  opts: { checkResponses?: boolean },
) {
  const perIp = rateLimit(deps.limits, 'authPerIp', (ctx) => ctx.state.clientIp);
  const tokenTries = rateLimit(deps.limits, 'tokenAttemptsPerIp', (ctx) => ctx.state.clientIp);
  mount(router, 'register', [perIp], (i) => registerUser(deps, i.body), opts);
  mount(router, 'login', [perIp], (i, ctx) => loginUser(deps, i.body, ctx.state.clientIp), opts);
  mount(router, 'refresh', [perIp], (i) => refreshSession(deps, i.body.refresh_token), opts);
  mount(router, 'forgotPassword', [perIp], (i) => requestPasswordReset(deps, i.body.email), opts);
  mount(router, 'resetPassword', [perIp, tokenTries], (i) => resetPassword(deps, i.body), opts);
  mount(router, 'verifyEmail', [perIp, tokenTries], (i) => verifyEmail(deps, i.body.token), opts);
  mount(router, 'resendVerification', [perIp], (i) => resendVerification(deps, i.body.email), opts);
}
