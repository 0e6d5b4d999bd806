import {
  DesktopApiArgs,
  DesktopEvents,
  type DesktopApi,
  type DesktopMethod,
  type EventChannel,
  type Result,
  type Unsubscribe,
} from '@cloud-connect/agent-core/desktop';
import { validationFailure } from '@cloud-connect/agent-core/errors';
import { toFailure } from '@cloud-connect/agent-core/manager';

function isMethod(name: unknown): name is DesktopMethod {
  return typeof name === 'string' && Object.hasOwn(DesktopApiArgs, name);
}

/**
 * Run one DesktopApi call that arrived over IPC or the web host's WebSocket: the method must
 * exist and its arguments must match the contract's schema before the Manager sees them.
 * Whatever happens, the caller gets a `Result` back, never a thrown error.
 */
export async function dispatchCall(
  api: DesktopApi,
  method: unknown,
  args: unknown,
): Promise<Result<unknown>> {
  if (!isMethod(method)) {
    return {
      ok: false,
      code: 'UNKNOWN_METHOD',
      message: `There is no method ${String(method).slice(0, 60)}`,
    };
  }
  const parsed = DesktopApiArgs[method].safeParse(Array.isArray(args) ? args : []);
  if (!parsed.success) {
    // An issue's path starts at the argument's position: name the field inside it, or the argument.
    const fieldOf = (path: readonly PropertyKey[]) =>
      path.slice(1).map(String).join('.') || `argument ${String(path[0] ?? 0)}`;
    const { message, fields } = validationFailure(
      parsed.error,
      fieldOf,
      'the arguments are invalid',
    );
    return { ok: false, code: 'VALIDATION_ERROR', message, fields };
  }
  const fn = api[method] as (...a: unknown[]) => Promise<Result<unknown>>;
  try {
    return await fn.apply(api, parsed.data as unknown[]);
  } catch (e) {
    // The Manager returns expected failures as values; what is thrown anyway keeps its code if it
    // has one, and anything else is a bug: INTERNAL, with no details out.
    console.error(`DesktopApi.${method} threw`, e);
    return toFailure(e);
  }
}

/**
 * Forward every DesktopApi event channel (the contract's `DesktopEvents` table) to one sender,
 * so IPC and the web host's socket carry the same channels. Returns what undoes it.
 */
export function subscribeEvents(
  api: DesktopApi,
  send: (channel: EventChannel, payload: unknown) => void,
): Unsubscribe {
  const unsubscribers = Object.entries(DesktopEvents).map(([channel, method]) =>
    api[method]((payload: unknown) => send(channel as EventChannel, payload)),
  );
  return () => {
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}
