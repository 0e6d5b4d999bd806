import type { Unsubscribe } from '@cloud-connect/agent-core/desktop';
import type { SliceCreator } from './storeTypes.js';

export interface LifecycleSlice {
  /**
   * Subscribes to the DesktopApi's events and the bridge's state, then loads the session and
   * app info. Returns the function that undoes the subscriptions.
   */
  start(): Unsubscribe;
  /** Everything an account's screens show; loaded on sign-in and after the bridge reconnects. */
  loadAccountData(): Promise<void>;
  /** Forgets the account's data on sign-out. */
  clearAccountData(): void;
}

export const createLifecycleSlice: SliceCreator<LifecycleSlice> = (set, get, deps) => ({
  start: () => {
    const unsubscribers = [
      // Live status comes only from these pushes: the renderer never polls connections.
      deps.api.onConnections((connections) => get().applyConnections(connections)),
      deps.api.onSession((session) => get().applySession(session)),
      deps.api.onLog((entry) => get().appendLog(entry)),
      deps.connection.onState((bridge) => {
        const wasDown = get().bridge.status !== 'connected';
        set({ bridge });
        // Events sent while the socket was down are lost: catch up once it is back.
        if (bridge.status === 'connected' && wasDown && get().session !== null) {
          void get().loadSession();
          if (get().session?.signedIn) void get().loadAccountData();
        }
      }),
    ];
    set({ bridge: deps.connection.getState() });
    void get().loadSession();
    void get().loadAppInfo();
    return () => {
      for (const unsubscribe of unsubscribers) unsubscribe();
    };
  },

  loadAccountData: async () => {
    await Promise.all([
      get().loadConnections(),
      get().loadInstances(),
      get().loadSubscription(),
      get().loadLogs(),
    ]);
  },

  clearAccountData: () => {
    get().cancelCheckout();
    get().dismissRevealedToken();
    set({
      instances: [],
      instancesLoaded: false,
      domainsByInstance: {},
      subscription: null,
      subdomainCheck: { state: 'idle' },
      testResults: {},
      pendingEmail: null,
    });
  },
});
