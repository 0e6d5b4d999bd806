import type { Failure, FailureCode } from '@cloud-connect/agent-core/desktop';
import type { AppStore } from '../store/appStore.js';
import type { RequestKey } from '../store/requests.js';

/** A host's failure answer as a test scripts it: `host.answer('signIn', failure('UNAUTHORIZED', …))`. */
export function failure(code: FailureCode, message: string, fields?: Failure['fields']): Failure {
  return fields ? { ok: false, code, message, fields } : { ok: false, code, message };
}

/** The error a store request shows now (undefined while it is idle or pending). */
export function requestError(store: AppStore, key: RequestKey) {
  return store.getState().requests[key]?.error ?? undefined;
}
