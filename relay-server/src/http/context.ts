import type { RouterContext, RouterMiddleware } from '@koa/router';
import type { InstanceRecord, UserRecord } from '../store/types.js';

export interface AppState {
  requestId: string;
  clientIp: string;
  /** Set by `requireUser`. */
  user?: UserRecord;
  /** Set by `requireInstance`. */
  instance?: InstanceRecord;
  /** The request body as received, when there is one (the webhook verifies it). */
  rawBody?: Buffer;
}

export type AppContext = RouterContext<AppState>;
export type AppMiddleware = RouterMiddleware<AppState>;

/** The signed-in user; only reachable behind `requireUser`. */
export function userOf(ctx: { state: AppState }): UserRecord {
  if (!ctx.state.user) throw new Error('route is missing requireUser');
  return ctx.state.user;
}

/** The calling instance; only reachable behind `requireInstance`. */
export function instanceOf(ctx: { state: AppState }): InstanceRecord {
  if (!ctx.state.instance) throw new Error('route is missing requireInstance');
  return ctx.state.instance;
}
