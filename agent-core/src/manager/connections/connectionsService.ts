import type {
  ConnectionInput,
  ConnectionPatch,
  ConnectionView,
  TestConnectionInput,
  Unsubscribe,
} from '../../desktop/desktopApi.js';
import { secretAccounts } from '../../secrets/secretAccounts.js';
import { RelayTransport, type ConnectionSettings } from '../../settings/settingsSchema.js';
import type { SettingsStore } from '../../settings/settingsStore.js';
import type { Timers } from '../../time/clock.js';
import type { TunnelSupervisorOptions } from '../../tunnels/supervisor/index.js';
import type { InstanceConnections } from '../cloud/instancesService.js';
import { idleStatus } from '../../status/idleStatus.js';
import type { KnownSecrets } from '../knownSecrets.js';
import type { LogBook } from '../logBook.js';
import type { RunOperation } from '../operation.js';
import type { RelayClientFactory } from '../relayClients.js';
import { ManagerError } from '../results.js';
import {
  ConnectionDrivers,
  savedConnection,
  tokenAccountOf,
  type DriverFactory,
} from './connectionDrivers.js';
import { ConnectionTesting } from './connectionTesting.js';
import { RelayReports } from './relayReports.js';
import { RunningTunnels } from './runningTunnels.js';

/**
 * Refuses a transport that is not one of RelayTransport's (a caller that skipped the DesktopApi's
 * argument schema, such as the CLI or a test), before anything is saved.
 */
function checkTransport(transport: unknown): void {
  if (transport === undefined || RelayTransport.safeParse(transport).success) return;
  throw new ManagerError(
    'VALIDATION_ERROR',
    `Unknown transport ${JSON.stringify(transport)}: choose auto, wireguard or stream`,
    { transport: 'must be auto, wireguard or stream' },
  );
}

export interface ConnectionsServiceDeps {
  settings: SettingsStore;
  secrets: KnownSecrets;
  drivers: DriverFactory;
  clients: RelayClientFactory;
  logs: LogBook;
  run: RunOperation;
  timers: Timers;
  supervisor?: TunnelSupervisorOptions;
  testTimeoutMs: number;
  relayStatusIntervalMs: number;
  /** Called whenever a connection's status changes (status files for `cloud-connect status`). */
  onConnectionStatus?: (connection: ConnectionView) => void;
  /** Awaited at the end of shutdown, once every tunnel stopped (status files are removed). */
  onShutdown?: () => Promise<void>;
}

/**
 * The connections: settings in the SettingsStore, tokens and keys in the SecretStore, one
 * supervisor per running tunnel, what the relay says of each, the connectivity test,
 * auto-start on launch and a clean shutdown. Every change reaches listeners as the whole list.
 */
export class ConnectionsService implements InstanceConnections {
  private readonly listeners = new Set<(c: ConnectionView[]) => void>();
  private readonly reports: RelayReports;
  private readonly tunnels: RunningTunnels;
  private readonly tests: ConnectionTesting;
  private shutdownDone: Promise<void> | null = null;

  constructor(private readonly deps: ConnectionsServiceDeps) {
    const { settings, secrets, drivers, clients, logs } = deps;
    const changed = (id?: string) => this.emit(id);
    this.reports = new RelayReports(changed);
    const connectionDrivers = new ConnectionDrivers({
      settings,
      secrets,
      drivers,
      clients,
      reports: this.reports,
    });
    this.tunnels = new RunningTunnels({
      settings,
      drivers: connectionDrivers,
      reports: this.reports,
      logs,
      changed,
      ...(deps.supervisor ? { supervisor: deps.supervisor } : {}),
      relayStatusIntervalMs: deps.relayStatusIntervalMs,
      timers: deps.timers,
    });
    this.tests = new ConnectionTesting({
      settings,
      drivers: connectionDrivers,
      tunnels: this.tunnels,
      logs,
      timeoutMs: deps.testTimeoutMs,
    });
  }

  private view(c: ConnectionSettings): ConnectionView {
    const status = this.tunnels.supervisorOf(c.id)?.status ?? idleStatus(c.kind);
    const report = this.reports.get(c.id);
    return {
      id: c.id,
      name: c.name,
      kind: c.kind,
      instanceId: c.instanceId,
      transport: c.transport,
      target: c.target,
      enabled: c.enabled,
      hasToken: this.deps.secrets.has(tokenAccountOf(c)),
      status,
      publicUrl:
        c.kind === 'cloudflare'
          ? status.hostname
            ? `https://${status.hostname}`
            : null
          : (report?.publicUrl ?? null),
      relay: c.kind === 'relay' ? (report?.relay ?? null) : null,
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
    };
  }

  private views(): ConnectionView[] {
    return this.deps.settings.listConnections().map((c) => this.view(c));
  }

  private emit(changed?: string): void {
    const views = this.views();
    if (changed && this.deps.onConnectionStatus) {
      const v = views.find((x) => x.id === changed);
      if (v) this.deps.onConnectionStatus(v);
    }
    for (const l of this.listeners) l(views);
  }

  private currentView(id: string): ConnectionView {
    return this.view(savedConnection(this.deps.settings, id));
  }

  private logStartFailure(c: ConnectionSettings, e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.deps.logs.add('error', `"${c.name}" could not start: ${message}`, c.id);
  }

  onConnections(listener: (connections: ConnectionView[]) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  listConnections() {
    return this.deps.run(async () => this.views());
  }

  addConnection(input: ConnectionInput) {
    return this.deps.run(async () => {
      const { settings, secrets, logs } = this.deps;
      const relay = input.kind === 'relay';
      if (relay) checkTransport(input.transport);
      const c = await settings.addConnection({
        name: input.name,
        kind: input.kind,
        instanceId: relay ? input.instanceId : null,
        transport: relay ? (input.transport ?? 'auto') : null,
        target: input.target ?? null,
        enabled: input.enabled ?? false,
      });
      try {
        if (input.kind === 'cloudflare') {
          await secrets.set(secretAccounts.cloudflareToken(c.id), input.token);
        } else if (input.instanceToken) {
          await secrets.set(secretAccounts.instanceToken(input.instanceId), input.instanceToken);
        }
      } catch (e) {
        await settings.removeConnection(c.id);
        throw e;
      }
      logs.add('info', `Connection "${c.name}" added`, c.id);
      this.emit(c.id);
      if (c.enabled)
        await this.tunnels.start(c.id).catch((e: unknown) => this.logStartFailure(c, e));
      return this.currentView(c.id);
    });
  }

  updateConnection(id: string, patch: ConnectionPatch) {
    return this.deps.run(() => this.tunnels.locked(id, () => this.updateLocked(id, patch)));
  }

  /** `updateConnection` with the connection's lock held. */
  private async updateLocked(id: string, patch: ConnectionPatch): Promise<ConnectionView> {
    const { settings, secrets } = this.deps;
    const before = savedConnection(settings, id);
    if (patch.token !== undefined && before.kind !== 'cloudflare') {
      throw new ManagerError(
        'VALIDATION_ERROR',
        'Only Cloudflare connections take a tunnel token',
        { token: 'is only for Cloudflare connections' },
      );
    }
    if (patch.instanceToken !== undefined && before.kind !== 'relay') {
      throw new ManagerError('VALIDATION_ERROR', 'Only relay connections take an instance token', {
        instanceToken: 'is only for relay connections',
      });
    }
    if (patch.transport !== undefined) {
      if (before.kind !== 'relay')
        throw new ManagerError('VALIDATION_ERROR', 'Only relay connections have a transport', {
          transport: 'is only for relay connections',
        });
      checkTransport(patch.transport);
    }
    const after = await settings.updateConnection(id, {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.transport !== undefined ? { transport: patch.transport } : {}),
      ...(patch.target !== undefined ? { target: patch.target } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
    });
    if (patch.token) await secrets.set(secretAccounts.cloudflareToken(id), patch.token);
    if (patch.instanceToken && after.instanceId)
      await secrets.set(secretAccounts.instanceToken(after.instanceId), patch.instanceToken);
    const needsRestart =
      patch.token !== undefined ||
      patch.instanceToken !== undefined ||
      (patch.transport !== undefined && patch.transport !== before.transport) ||
      (patch.target !== undefined && patch.target !== before.target);
    const running = this.tunnels.isRunning(id);
    if (needsRestart && running) await this.tunnels.restartLocked(id);
    else if (after.enabled && !before.enabled && !running) {
      await this.tunnels
        .startLocked(id)
        .then((s) => s.started)
        .catch((e: unknown) => this.logStartFailure(after, e));
    }
    this.emit(id);
    return this.currentView(id);
  }

  /** Remove the connection, its secrets and what the relay said of it; the caller holds its lock. */
  private async removeLocked(id: string): Promise<void> {
    const { settings, secrets } = this.deps;
    const c = savedConnection(settings, id);
    await this.tunnels.stopLocked(id);
    if (c.kind === 'cloudflare') await secrets.delete(secretAccounts.cloudflareToken(id));
    await secrets.delete(secretAccounts.wireguardKey(id));
    await settings.removeConnection(id);
    this.reports.forget(id);
    this.emit();
  }

  removeConnection(id: string) {
    return this.deps.run(async () => {
      await this.tunnels.locked(id, () => this.removeLocked(id));
      return null;
    });
  }

  connect(id: string) {
    return this.deps.run(async () => {
      await this.tunnels.start(id);
      return this.currentView(id);
    });
  }

  disconnect(id: string) {
    return this.deps.run(() =>
      this.tunnels.locked(id, async () => {
        const c = savedConnection(this.deps.settings, id);
        await this.tunnels.stopLocked(id);
        this.deps.logs.add('info', `"${c.name}" disconnected`, id);
        return this.view(c);
      }),
    );
  }

  /** Seed 000 P13-2.4; see ConnectionTesting for what is started and what only probed. */
  testConnection(input: TestConnectionInput) {
    return this.deps.run(() => this.tests.test(input));
  }

  async removeOfInstance(instanceId: string): Promise<void> {
    for (const c of this.ofInstance(instanceId)) {
      await this.tunnels.locked(c.id, () => this.removeLocked(c.id));
      this.deps.logs.add('info', `Connection "${c.name}" removed with its instance`, c.id);
    }
  }

  async restartOfInstance(instanceId: string): Promise<void> {
    for (const c of this.ofInstance(instanceId)) {
      await this.tunnels.locked(c.id, async () => {
        if (this.tunnels.isRunning(c.id)) await this.tunnels.restartLocked(c.id);
      });
    }
  }

  private ofInstance(instanceId: string): ConnectionSettings[] {
    return this.deps.settings.listConnections().filter((c) => c.instanceId === instanceId);
  }

  /**
   * Start every connection that is enabled on start-up (seed 000 P13-2.2). A missing token or
   * a failed start is logged as an error for that connection and never thrown at the caller.
   */
  async autoStart(): Promise<void> {
    const enabled = this.deps.settings.listConnections().filter((c) => c.enabled);
    if (!enabled.length) {
      this.deps.logs.add('info', 'No connection is enabled on start-up');
      return;
    }
    await Promise.all(
      enabled.map((c) =>
        this.tunnels.start(c.id).catch((e: unknown) => this.logStartFailure(c, e)),
      ),
    );
  }

  /**
   * Stop every tunnel cleanly (app quit, SIGTERM). A start, edit or test in flight finishes
   * first, and no new start begins after this.
   */
  shutdown(): Promise<void> {
    this.shutdownDone ??= (async () => {
      await this.tunnels.stopAll();
      await this.deps.onShutdown?.();
    })();
    return this.shutdownDone;
  }
}
