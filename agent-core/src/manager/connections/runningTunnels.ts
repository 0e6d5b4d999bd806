import { KeyedLock } from '../../concurrency/keyedLock.js';
import type { InstanceApi } from '../../client/instanceClient.js';
import type { LogEntry } from '../../desktop/desktopApi.js';
import type { SettingsStore } from '../../settings/settingsStore.js';
import type { Timers } from '../../time/clock.js';
import type { TunnelStatus } from '../../tunnels/status.js';
import { TunnelSupervisor, type TunnelSupervisorOptions } from '../../tunnels/supervisor/index.js';
import type { LogBook } from '../logBook.js';
import { ManagerError } from '../results.js';
import { savedConnection, type ConnectionDrivers } from './connectionDrivers.js';
import type { RelayReports } from './relayReports.js';

interface Running {
  supervisor: TunnelSupervisor;
  unwatch: () => void;
}

export interface RunningTunnelsDeps {
  settings: SettingsStore;
  drivers: ConnectionDrivers;
  reports: RelayReports;
  logs: LogBook;
  /** A connection's state changed (or, without an id, the list did). */
  changed: (id?: string) => void;
  supervisor?: TunnelSupervisorOptions;
  /** How often a running relay connection asks the relay for its instance's status. */
  relayStatusIntervalMs: number;
  timers: Timers;
}

/**
 * One supervisor per running connection, and the per-connection lock under which starting,
 * stopping, editing, removing and testing run one at a time: two clicks on Connect (or
 * auto-start plus a click) must not start two drivers. Methods named `…Locked` expect the
 * caller to hold the connection's lock.
 */
export class RunningTunnels {
  private readonly running = new Map<string, Running>();
  private readonly lifecycle = new KeyedLock();
  private shuttingDown = false;

  constructor(private readonly deps: RunningTunnelsDeps) {}

  /** Run `fn` with connection `id`'s lock held. */
  locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.lifecycle.run(id, fn);
  }

  supervisorOf(id: string): TunnelSupervisor | undefined {
    return this.running.get(id)?.supervisor;
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  /**
   * Make the connection's supervisor and set it going, unless one exists. `started` settles
   * when its first start attempt has (failures show in its status); it is wrapped so the caller
   * may await it after releasing the lock, since the supervisor is in `running` and started by
   * then, so a stop queued behind the lock stops it.
   */
  async startLocked(id: string): Promise<{ started: Promise<unknown> }> {
    const c = savedConnection(this.deps.settings, id);
    if (this.running.has(id)) return { started: Promise.resolve() };
    if (this.shuttingDown) {
      throw new ManagerError('SERVICE_UNAVAILABLE', 'Cloud Connect is shutting down');
    }
    const { driver, api } = await this.deps.drivers.driverFor(c);
    const supervisor = new TunnelSupervisor(driver, this.deps.supervisor);
    this.running.set(id, { supervisor, unwatch: this.watch(id, supervisor, api) });
    this.deps.logs.add('info', `Starting "${c.name}"`, id);
    // No emit here: the supervisor's first status (connecting) reaches listeners through watch().
    return { started: supervisor.start() };
  }

  /** Start (or keep) the connection's supervisor; failures show in its status. */
  async start(id: string): Promise<void> {
    const { started } = await this.locked(id, () => this.startLocked(id));
    await started;
  }

  /** Stop the connection's supervisor, if any. */
  async stopLocked(id: string): Promise<void> {
    const r = this.running.get(id);
    if (!r) return;
    await r.supervisor.stop();
    r.unwatch();
    this.running.delete(id);
    this.deps.changed(id);
  }

  /** Stop and start again. */
  async restartLocked(id: string): Promise<void> {
    await this.stopLocked(id);
    const { started } = await this.startLocked(id);
    await started;
  }

  /**
   * Stop every tunnel (app quit, SIGTERM). A start, edit or test in flight finishes first (each
   * stop waits behind the connection's lock), and no new start begins after this is called.
   */
  async stopAll(): Promise<void> {
    this.shuttingDown = true;
    const ids = new Set([...this.running.keys(), ...this.lifecycle.busyKeys]);
    await Promise.all([...ids].map((id) => this.locked(id, () => this.stopLocked(id))));
  }

  private watch(id: string, supervisor: TunnelSupervisor, api: InstanceApi | null): () => void {
    const { reports, logs, changed, timers } = this.deps;
    // One instance API per running connection answers every relay-status question, the
    // driver's own, instead of a client built afresh for each poll.
    const askRelay = () =>
      void api?.status().catch(() => {
        // The driver reports an unreachable relay in its own status; nothing to add here.
      });
    // The supervisor logs its own transitions (connected, lost, restarting); only forward them.
    // Each transition and a steady timer also ask the relay, so the connection shows the
    // relay's status model as the Instances screen does. Status events that only carry new
    // figures (bytes, probe time: every health check) just re-emit: asking the relay then
    // would cost a call per check and blank its word between answers.
    let lastState: TunnelStatus['status'] | null = null;
    const onStatus = (s: TunnelStatus) => {
      if (s.status === lastState) return changed(id);
      lastState = s.status;
      reports.stateChanged(id);
      changed(id);
      askRelay();
    };
    const onLog = (line: { level: LogEntry['level']; message: string; at: Date }) =>
      logs.add(line.level, line.message, id, line.at);
    supervisor.events.on('status', onStatus);
    supervisor.events.on('log', onLog);
    const timer = api ? timers.setInterval(askRelay, this.deps.relayStatusIntervalMs) : null;
    timer?.unref();
    return () => {
      timers.clearInterval(timer);
      supervisor.events.off('status', onStatus);
      supervisor.events.off('log', onLog);
    };
  }
}
