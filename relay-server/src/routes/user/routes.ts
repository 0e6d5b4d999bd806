import type Router from '@koa/router';
import { AppError } from '../../errors/appError.js';
import type { AppState } from '../../http/context.js';
import { signedInMount, type MountOptions } from '../../http/mount.js';
import { toProfile } from '../../presenters/user.js';
import type { Services } from '../../services.js';

export function userRoutes(router: Router<AppState>, deps: Services, opts: MountOptions) {
  const signedIn = signedInMount(router, deps, opts);
  signedIn('getUser', (_i, user) => toProfile(user));
  signedIn('updateUser', async (i, user) => {
    const updated = await deps.store.users.update(user.id, { name: i.body.name });
    if (!updated) throw AppError.unauthorized();
    return { id: updated.id, email: updated.email, name: updated.name };
  });
}
