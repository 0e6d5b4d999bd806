import type { ConnectionView, LogEntry } from '../desktop/desktopApi.js';
import { createDockerDiscovery } from '../docker/dockerDiscovery.js';
import { createSecretStore } from '../secrets/createSecretStore.js';
import type { SecretBackend, SecretStore } from '../secrets/secretStore.js';
import { openSettings, type SettingsStore } from '../settings/settingsStore.js';
import { createStatusFileWriter } from '../status/statusFiles.js';
import { CloudflaredDriver } from '../tunnels/cloudflared/cloudflaredDriver.js';
import type { TunnelSupervisorOptions } from '../tunnels/supervisor/index.js';
import {
  WireGuardDriver,
  type WireGuardDriverOptions,
} from '../tunnels/wireguard/wireguardDriver.js';
import { Manager, type DriverFactory } from './manager.js';
import { ManagerError } from './results.js';

export interface CreateManagerOptions {
  /** The app's data dir: settings, and the encrypted secrets file when that backend is used. */
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  /** An already open settings store (a host that reads preferences itself shares it). */
  settings?: SettingsStore;
  /** Relay URL of a fresh install (an existing settings file keeps its own). */
  defaultRelayUrl?: string;
  /** Use this relay now, whatever the settings say (CLOUD_CONNECT_RELAY_URL for the desktop hosts). */
  relayUrl?: string;
  /** A SecretStore to use instead of choosing one (keychain, or file with CLOUD_CONNECT_SECRET_KEY). */
  secrets?: SecretStore;
  secretBackend?: SecretBackend;
  /** Keychain service name; tests isolate themselves with their own. */
  secretService?: string;
  /** The cloudflared executable (default: `CLOUD_CONNECT_CLOUDFLARED`, else `cloudflared` on PATH). */
  cloudflaredPath?: string;
  /** Extra environment for cloudflared (never secrets; the token travels as TUNNEL_TOKEN). */
  cloudflaredEnv?: Record<string, string>;
  /** Options passed to every WireGuard driver (interface mode, probe timings…). */
  wireguard?: Partial<Omit<WireGuardDriverOptions, 'api' | 'privateKey' | 'target'>>;
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
    wireguard: ({ api, privateKey, target }) =>
      new WireGuardDriver({ ...options.wireguard, api, privateKey, target }),
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
  const manager = await Manager.create({
    settings,
    secrets,
    drivers,
    docker: createDockerDiscovery({
      env,
      ...(options.dockerSocket ? { socketPath: options.dockerSocket } : {}),
    }),
    ...(options.supervisor ? { supervisor: options.supervisor } : {}),
    ...(options.testTimeoutMs ? { testTimeoutMs: options.testTimeoutMs } : {}),
    ...(options.logSink ? { logSink: options.logSink } : {}),
    ...(onConnectionStatus ? { onConnectionStatus } : {}),
    ...(statusFiles ? { onShutdown: () => statusFiles.close() } : {}),
  });
  if (options.relayUrl) {
    const set = await manager.setRelayUrl(options.relayUrl);
    if (!set.ok) throw new ManagerError(set.code, `CLOUD_CONNECT_RELAY_URL: ${set.message}`);
  }
  return manager;
}
