import type {
  DesktopApi,
  DesktopMethod,
  EventChannel,
  EventPayloads,
  Result,
  Unsubscribe,
} from '@cloud-connect/agent-core/desktop';

/** Sends one DesktopApi call over some transport and resolves with the host's Result. */
export type CallTransport = (method: DesktopMethod, args: unknown[]) => Promise<Result<unknown>>;

/** Adds a listener for one event channel. */
export type SubscribeTransport = <C extends EventChannel>(
  channel: C,
  listener: (payload: EventPayloads[C]) => void,
) => Unsubscribe;

/**
 * A DesktopApi whose methods all go through one `call` function. The object literal lists
 * every method, so the compiler fails here when the contract gains one.
 */
export function desktopApiFromCall(call: CallTransport, subscribe: SubscribeTransport): DesktopApi {
  function method<M extends DesktopMethod>(name: M): DesktopApi[M] {
    // The host answers with the contract's Result for `name`; the wire only knows `unknown`.
    return ((...args: unknown[]) => call(name, args)) as unknown as DesktopApi[M];
  }
  return {
    getSession: method('getSession'),
    setRelayUrl: method('setRelayUrl'),
    signUp: method('signUp'),
    verifyEmail: method('verifyEmail'),
    resendVerification: method('resendVerification'),
    signIn: method('signIn'),
    signOut: method('signOut'),
    forgotPassword: method('forgotPassword'),
    resetPassword: method('resetPassword'),
    updateProfile: method('updateProfile'),
    getSubscription: method('getSubscription'),
    startCheckout: method('startCheckout'),
    openBillingPortal: method('openBillingPortal'),
    listInstances: method('listInstances'),
    checkSubdomain: method('checkSubdomain'),
    createInstance: method('createInstance'),
    updateInstance: method('updateInstance'),
    deleteInstance: method('deleteInstance'),
    regenerateInstanceToken: method('regenerateInstanceToken'),
    listDomains: method('listDomains'),
    addDomain: method('addDomain'),
    verifyDomain: method('verifyDomain'),
    removeDomain: method('removeDomain'),
    listConnections: method('listConnections'),
    addConnection: method('addConnection'),
    updateConnection: method('updateConnection'),
    removeConnection: method('removeConnection'),
    connect: method('connect'),
    disconnect: method('disconnect'),
    testConnection: method('testConnection'),
    listContainers: method('listContainers'),
    getLogs: method('getLogs'),
    openExternal: method('openExternal'),
    getAppInfo: method('getAppInfo'),
    setLaunchAtLogin: method('setLaunchAtLogin'),
    verifyEmailLocally: method('verifyEmailLocally'),
    onConnections: (listener) => subscribe('connections', listener),
    onSession: (listener) => subscribe('session', listener),
    onLog: (listener) => subscribe('log', listener),
  };
}
