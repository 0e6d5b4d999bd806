import type Router from '@koa/router';
import { AppError } from '../../errors/appError.js';
import { requireUser } from '../../http/auth.js';
import { userOf, type AppState } from '../../http/context.js';
import { mount } from '../../http/mount.js';
import { toProfile } from '../../presenters/user.js';
import type { Services } from '../../services.js';

export function userRoutes(
  router: Router<AppState>,
  deps: Services,
  opts: { checkResponses?: boolean },
) {
  const auth = requireUser(deps.tokens, deps.store);
  mount(router, 'getUser', [auth], (_i, ctx) => toProfile(userOf(ctx)), opts);
  mount(
    router,
    'updateUser',
    [auth],
    async (i, ctx) => {
      const user = await deps.store.users.update(userOf(ctx).id, { name: i.body.name });
      if (!user) throw AppError.unauthorized();
      return { id: user.id, email: user.email, name: user.name };
    },
    opts,
  );
}
