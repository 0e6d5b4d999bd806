import type { ConnectionView, ManagerApi } from '../desktop/desktopApi.js';
import type { DockerDiscovery } from '../docker/dockerDiscovery.js';
import type { SecretStore } from '../secrets/secretStore.js';
import type { SettingsStore } from '../settings/settingsStore.js';
import { systemTimers, type Timers } from '../time/clock.js';
import type { TunnelSupervisorOptions } from '../tunnels/supervisor/index.js';
import { AccountService } from './cloud/accountService.js';
import { BillingService } from './cloud/billingService.js';
import { InstancesService } from './cloud/instancesService.js';
import type { DriverFactory } from './connections/connectionDrivers.js';
import { ConnectionsService } from './connections/connectionsService.js';
import { KnownSecrets } from './knownSecrets.js';
import { LogBook } from './logBook.js';
import { operationRunner } from './operation.js';
import type { RelayClientFactory } from './relayClients.js';
import { ok } from './results.js';

export type { DriverFactory } from './connections/connectionDrivers.js';

export interface ManagerDeps {
  settings: SettingsStore;
  secrets: SecretStore;
  /** Makes the relay clients (the user's, an instance's); the Manager builds none itself. */
  clients: RelayClientFactory;
  drivers: DriverFactory;
  docker: DockerDiscovery;
  /** Where the Manager logs (default: a LogBook of the latest 2000 entries, no sink). */
  logs?: LogBook;
  /** Timers of the relay-status poll (default: Node's). */
  timers?: Timers;
  supervisor?: TunnelSupervisorOptions;
  /** Seed 000 P13-2.4 waits up to 30 s for a test connection. */
  testTimeoutMs?: number;
  /** Called whenever a connection's status changes (status files for `cloud-connect status`). */
  onConnectionStatus?: (connection: ConnectionView) => void;
  /** Awaited at the end of shutdown, once every tunnel stopped (status files are removed). */
  onShutdown?: () => Promise<void>;
  /** How often a running WireGuard connection asks the relay for its instance's status (15 s). */
  relayStatusIntervalMs?: number;
}

/**
 * The app's brain, driven alike by Electron main, the web host and the CLI: the DesktopApi's
 * Manager side, plus the host's start-up and quit.
 */
export interface Manager extends ManagerApi {
  readonly logs: LogBook;
  /** Start every connection enabled on start-up; failures are logged, never thrown. */
  autoStart(): Promise<void>;
  /** Stop every tunnel cleanly; no start begins after it is called. */
  shutdown(): Promise<void>;
}

/** The names of `S`'s methods. */
type MethodNames<S> = {
  [K in keyof S]: S[K] extends (...args: never[]) => unknown ? K : never;
}[keyof S];

/** `names` of `service`'s methods, bound to it, to serve as the Manager's own. */
function methodsOf<S, K extends MethodNames<S>>(service: S, names: readonly K[]): Pick<S, K> {
  const picked = {} as Pick<S, K>;
  for (const name of names) {
    // MethodNames guarantees a function; TypeScript cannot see that through S[K].
    const method = service[name] as (...args: unknown[]) => unknown;
    picked[name] = method.bind(service) as S[K];
  }
  return picked;
}

/**
 * Build the Manager from its services, each with one job: the account session, billing, and
 * instances and domains over the Cloud API client; connections over supervisors, drivers and
 * secrets; Docker discovery; the log book. It reads which secrets exist (never their values)
 * before answering anything.
 */
export async function composeManager(deps: ManagerDeps): Promise<Manager> {
  const { settings, clients, docker } = deps;
  const logs = deps.logs ?? new LogBook(2000);
  if (settings.loadProblem) logs.add('warn', settings.loadProblem.message);
  const secrets = await KnownSecrets.load(deps.secrets, (e) =>
    logs.add('error', `The keychain could not be read: ${e.message}`),
  );
  const run = operationRunner(logs);
  const account = new AccountService({ settings, clients, logs, run });
  const connections = new ConnectionsService({
    settings,
    secrets,
    drivers: deps.drivers,
    clients,
    logs,
    run,
    timers: deps.timers ?? systemTimers,
    testTimeoutMs: deps.testTimeoutMs ?? 30_000,
    relayStatusIntervalMs: deps.relayStatusIntervalMs ?? 15_000,
    ...(deps.supervisor ? { supervisor: deps.supervisor } : {}),
    ...(deps.onConnectionStatus ? { onConnectionStatus: deps.onConnectionStatus } : {}),
    ...(deps.onShutdown ? { onShutdown: deps.onShutdown } : {}),
  });
  const instances = new InstancesService({ account, secrets, connections, logs });
  const manager: Manager = {
    logs,
    ...methodsOf(account, [
      'getSession',
      'setRelayUrl',
      'signUp',
      'verifyEmail',
      'resendVerification',
      'signIn',
      'signOut',
      'forgotPassword',
      'resetPassword',
      'updateProfile',
      'onSession',
    ]),
    ...methodsOf(new BillingService(account), [
      'getSubscription',
      'startCheckout',
      'openBillingPortal',
    ]),
    ...methodsOf(instances, [
      'listInstances',
      'checkSubdomain',
      'createInstance',
      'updateInstance',
      'deleteInstance',
      'regenerateInstanceToken',
      'listDomains',
      'addDomain',
      'verifyDomain',
      'removeDomain',
    ]),
    ...methodsOf(connections, [
      'listConnections',
      'addConnection',
      'updateConnection',
      'removeConnection',
      'connect',
      'disconnect',
      'testConnection',
      'onConnections',
      'autoStart',
      'shutdown',
    ]),
    listContainers: () => run(() => docker.listContainers()),
    getLogs: async (options) => ok(logs.list(options)),
    onLog: (listener) => logs.subscribe(listener),
  };
  return manager;
}
