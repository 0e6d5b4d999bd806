import type { DesktopApi, HostApi, ManagerApi } from '@cloud-connect/agent-core/desktop';

/**
 * The DesktopApi as one object: host methods (open a URL, app info, launch at login) from the
 * host, everything else from the Manager, bound to it. A Proxy rather than a spread: any
 * ManagerApi may be passed, and one written as a class keeps its prototype methods and `this`.
 */
export function composeDesktopApi(manager: ManagerApi, host: HostApi): DesktopApi {
  return new Proxy(manager as DesktopApi, {
    get(target, key, receiver) {
      if (typeof key === 'string' && Object.hasOwn(host, key)) return host[key as keyof HostApi];
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
}
