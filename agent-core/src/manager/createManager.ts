import type { ConnectionView, LogEntry } from '../desktop/desktopApi.js';
import { createDockerDiscovery } from '../docker/dockerDiscovery.js';
import { createSecretStore } from '../secrets/createSecretStore.js';
import type { SecretBackend, SecretStore } from '../secrets/secretStore.js';
import { openSettings, type SettingsStore } from '../settings/settingsStore.js';
import { createStatusFileWriter } from '../status/statusFiles.js';
import { CloudflaredDriver } from '../tunnels/cloudflared/cloudflaredDriver.js';
import type { TunnelSupervisorOptions } from '../tunnels/supervisor/index.js';
import { RelayDriver } from '../tunnels/relay/relayDriver.js';
import type { StreamDriverOptions } from '../tunnels/stream/streamDriver.js';
import type { WireGuardDriverOptions } from '../tunnels/wireguard/wireguardDriver.js';
import { switchRelay } from './cloud/accountService.js';
import { LogBook } from './logBook.js';
import { composeManager, type DriverFactory, type Manager } from './manager.js';
import { httpRelayClients } from './relayClients.js';
import { ManagerError, toFailure } from './results.js';
import { secretTokenStore } from './sessionTokens.js';

export interface CreateManagerOptions {
  /** The app's data dir: settings, and the encrypted secrets file when that backend is used. */
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  /** An already open settings store (a host that reads preferences itself shares it). */
  settings?: SettingsStore;
  /** Relay URL of a fresh install (an existing settings file keeps its own). */
  defaultRelayUrl?: string;
  /**
   * Use this relay now, whatever the settings say (CLOUD_CONNECT_RELAY_URL for the desktop
   * hosts): saved before the Manager is built, and a session of another relay is forgotten.
   */
  relayUrl?: string;
  /** How a refused `relayUrl` is named in the error (default "CLOUD_CONNECT_RELAY_URL"). */
  relayUrlLabel?: string;
  /** A SecretStore to use instead of choosing one (keychain, or file with CLOUD_CONNECT_SECRET_KEY). */
  secrets?: SecretStore;
  secretBackend?: SecretBackend;
  /** Keychain service name; tests isolate themselves with their own. */
  secretService?: string;
  /** The cloudflared executable (default: `CLOUD_CONNECT_CLOUDFLARED`, else `cloudflared` on PATH). */
  cloudflaredPath?: string;
  /** Extra environment for cloudflared (never secrets; the token travels as TUNNEL_TOKEN). */
  cloudflaredEnv?: Record<string, string>;
  /** Options passed to every relay connection's WireGuard transport (interface mode, probe timings…). */
  wireguard?: Partial<Omit<WireGuardDriverOptions, 'api' | 'privateKey' | 'target'>>;
  /** Options passed to every relay connection's stream transport (proxy, CA, backoff…). */
  stream?: Partial<Omit<StreamDriverOptions, 'relayUrl' | 'token' | 'target'>>;
  /** How long `auto` lets WireGuard take to connect before it uses the stream transport. */
  handshakeGraceMs?: number;
  dockerSocket?: string;
  supervisor?: TunnelSupervisorOptions;
  testTimeoutMs?: number;
  logSink?: (entry: LogEntry) => void;
  onConnectionStatus?: (connection: ConnectionView) => void;
  /**
   * Who runs this Manager, as `cloud-connect status` names it in the status files written under
   * `<dataDir>/status` (default "desktop app"); null writes none (the CLI writes its own).
   */
  statusRunner?: string | null;
}

/** A Manager on real parts: lowdb settings, the keychain (or encrypted file), real drivers, Docker. */
export async function createManager(options: CreateManagerOptions): Promise<Manager> {
  const env = options.env ?? process.env;
  const settings =
    options.settings ??
    (await openSettings({
      dataDir: options.dataDir,
      ...(options.defaultRelayUrl ? { defaultRelayUrl: options.defaultRelayUrl } : {}),
    }));
  const secrets =
    options.secrets ??
    createSecretStore({
      dataDir: options.dataDir,
      env,
      ...(options.secretBackend ? { backend: options.secretBackend } : {}),
      ...(options.secretService ? { service: options.secretService } : {}),
    });
  const cloudflaredPath = options.cloudflaredPath ?? env.CLOUD_CONNECT_CLOUDFLARED ?? 'cloudflared';
  const drivers: DriverFactory = {
    cloudflared: (token) =>
      new CloudflaredDriver({
        token,
        binaryPath: cloudflaredPath,
        ...(options.cloudflaredEnv ? { env: options.cloudflaredEnv } : {}),
      }),
    relay: (relay) =>
      new RelayDriver({
        ...relay,
        ...(options.wireguard ? { wireguard: options.wireguard } : {}),
        ...(options.stream ? { stream: options.stream } : {}),
        ...(options.handshakeGraceMs ? { handshakeGraceMs: options.handshakeGraceMs } : {}),
      }),
  };
  // Status files let `cloud-connect status` see this Manager's tunnels; shutdown removes them,
  // and readers drop (and delete) those of a process that ended without a shutdown.
  const runner = options.statusRunner === undefined ? 'desktop app' : options.statusRunner;
  const statusFiles = runner ? createStatusFileWriter(options.dataDir, runner) : null;
  const onConnectionStatus =
    statusFiles || options.onConnectionStatus
      ? (c: ConnectionView) => {
          statusFiles?.write(c);
          options.onConnectionStatus?.(c);
        }
      : undefined;
  const tokens = secretTokenStore(secrets);
  const logs = new LogBook(2000, options.logSink);
  if (options.relayUrl) {
    const switched = await switchRelay(settings, () => tokens.save(null), options.relayUrl).catch(
      (e: unknown) => {
        const failure = toFailure(e);
        const label = options.relayUrlLabel ?? 'CLOUD_CONNECT_RELAY_URL';
        throw new ManagerError(failure.code, `${label}: ${failure.message}`);
      },
    );
    if (switched) logs.add('info', `Relay set to ${switched}`);
  }
  return composeManager({
    settings,
    secrets,
    clients: httpRelayClients(tokens),
    drivers,
    docker: createDockerDiscovery({
      env,
      ...(options.dockerSocket ? { socketPath: options.dockerSocket } : {}),
    }),
    logs,
    ...(options.supervisor ? { supervisor: options.supervisor } : {}),
    ...(options.testTimeoutMs ? { testTimeoutMs: options.testTimeoutMs } : {}),
    ...(onConnectionStatus ? { onConnectionStatus } : {}),
    ...(statusFiles ? { onShutdown: () => statusFiles.close() } : {}),
  });
}
