/** The screens of the app. A tiny state-based router: the current Route lives in the store. */
export type Route =
  | { name: 'signIn' }
  | { name: 'signUp' }
  | { name: 'verifyEmail' }
  | { name: 'forgotPassword' }
  | { name: 'resetPassword' }
  | { name: 'connections' }
  /** Add (connectionId null) or edit a connection; `instanceId` preselects a WireGuard instance. */
  | { name: 'connectionForm'; connectionId: string | null; instanceId: string | null }
  | { name: 'instances' }
  | { name: 'domains'; instanceId: string }
  | { name: 'plans' }
  | { name: 'logs' }
  | { name: 'settings' };

export type RouteName = Route['name'];

/** Screens reachable without an account. Settings is among them so the relay URL can be set first. */
const PUBLIC: ReadonlySet<RouteName> = new Set([
  'signIn',
  'signUp',
  'verifyEmail',
  'forgotPassword',
  'resetPassword',
  'settings',
]);

/** Whether a screen needs a signed-in account. */
export function needsAccount(route: Route): boolean {
  return !PUBLIC.has(route.name);
}

/** The signed-out entry screens a fresh sign-in leaves. */
export function isAuthScreen(route: Route): boolean {
  return PUBLIC.has(route.name) && route.name !== 'settings';
}
