import type { Result } from '@cloud-connect/agent-core/desktop';
import type { FriendlyError } from './friendlyError.js';
import { friendlyError } from './friendlyError.js';
import type { SetState } from './storeTypes.js';

/** Whether a request is under way and how the last one failed. */
export interface RequestState {
  pending: boolean;
  error: FriendlyError | null;
}

/** The state of a request nobody made, or one that succeeded. Shared so selectors stay stable. */
export const IDLE: RequestState = Object.freeze({ pending: false, error: null });
const PENDING: RequestState = Object.freeze({ pending: true, error: null });

/** Requests of the account, its plan and the app's settings: one at a time each. */
type AppRequest =
  | 'signIn'
  | 'signUp'
  | 'signOut'
  | 'verifyEmail'
  | 'verifyEmailLocally'
  | 'resendVerification'
  | 'forgotPassword'
  | 'resetPassword'
  | 'updateProfile'
  | 'setRelayUrl'
  | 'loadSubscription'
  | 'checkout'
  | 'billingPortal'
  | 'loadInstances'
  | 'createInstance'
  | 'loadConnections'
  | 'saveConnection'
  | 'loadContainers'
  | 'loadLogs'
  | 'launchAtLogin'
  | 'openExternal';

/** Requests about one item, so each card's buttons have their own state. */
type ItemRequest =
  | 'renameInstance'
  | 'deleteInstance'
  | 'regenerateToken'
  | 'loadDomains'
  | 'addDomain'
  | 'verifyDomain'
  | 'removeDomain'
  | 'connect'
  | 'disconnect'
  | 'removeConnection'
  | 'test';

/**
 * Every request the UI shows progress or errors for. Per-item requests carry the item's id
 * (`connect:conn_…`, `verifyDomain:inst_…/example.com`).
 */
export type RequestKey = AppRequest | `${ItemRequest}:${string}`;

/** Puts a request's state in the store: pending, then cleared on success or the friendly error. */
export function setRequest(set: SetState, key: RequestKey, state: RequestState): void {
  set((s) => {
    const { [key]: _previous, ...rest } = s.requests;
    return { requests: state === IDLE ? rest : { ...rest, [key]: state } };
  });
}

/**
 * Runs one DesktopApi call under a request key: the UI sees it pending, then idle or failed
 * with a FriendlyError. A call that throws (a host bug) becomes an INTERNAL failure, never an
 * unhandled rejection.
 */
export async function track<T>(
  set: SetState,
  key: RequestKey,
  call: () => Promise<Result<T>>,
): Promise<Result<T>> {
  setRequest(set, key, PENDING);
  let result: Result<T>;
  try {
    result = await call();
  } catch (error) {
    result = {
      ok: false,
      code: 'INTERNAL',
      message: error instanceof Error ? error.message : String(error),
    };
  }
  setRequest(set, key, result.ok ? IDLE : { pending: false, error: friendlyError(result, key) });
  return result;
}

/** Records a failure found before any call (e.g. an empty required input). */
export function failRequest(set: SetState, key: RequestKey, error: FriendlyError): void {
  setRequest(set, key, { pending: false, error });
}
