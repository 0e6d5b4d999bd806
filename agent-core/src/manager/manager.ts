import type { PaidPlan, RegisterRequest } from '../api/index.js';
import { ApiError } from '../client/apiError.js';
import { InstanceClient, type InstanceApi } from '../client/instanceClient.js';
import { RelayClient } from '../client/relayClient.js';
import type {
  ConnectionInput,
  ConnectionPatch,
  ConnectionView,
  LogEntry,
  ManagerApi,
  Result,
  SessionUser,
  SessionView,
  TestConnectionInput,
  Unsubscribe,
} from '../desktop/desktopApi.js';
import type { DockerDiscovery } from '../docker/dockerDiscovery.js';
import { secretAccounts } from '../secrets/secretAccounts.js';
import type { SecretStore } from '../secrets/secretStore.js';
import type { ConnectionSettings } from '../settings/settingsSchema.js';
import type { SettingsStore } from '../settings/settingsStore.js';
import type { RelayInstanceStatus } from '../status/statusWords.js';
import { probeRunningTunnel, testTunnelConnectivity } from '../tunnels/connectivityTest.js';
import type { TunnelDriver } from '../tunnels/driver.js';
import type { TunnelStatus, TunnelTestResult } from '../tunnels/status.js';
import { TunnelSupervisor, type TunnelSupervisorOptions } from '../tunnels/supervisor/index.js';
import { generateKeyPair } from '../tunnels/wireguard/keys.js';
import { idleStatus } from './idleStatus.js';
import { KeyedLock } from '../concurrency/keyedLock.js';
import { LogBook } from './logBook.js';
import { attempt, ManagerError, ok } from './results.js';
import { secretTokenStore } from './sessionTokens.js';

/** How the Manager makes tunnel drivers; tests and hosts can point them at other binaries. */
export interface DriverFactory {
  cloudflared(token: string): TunnelDriver;
  wireguard(options: { api: InstanceApi; privateKey: string; target: string }): TunnelDriver;
}

export interface ManagerDeps {
  settings: SettingsStore;
  secrets: SecretStore;
  drivers: DriverFactory;
  docker: DockerDiscovery;
  supervisor?: TunnelSupervisorOptions;
  /** Seed 000 P13-2.4 waits up to 30 s for a test connection. */
  testTimeoutMs?: number;
  /** Every log entry also goes here (a file, stderr). */
  logSink?: (entry: LogEntry) => void;
  /** Called whenever a connection's status changes (status files for `cloud-connect status`). */
  onConnectionStatus?: (connection: ConnectionView) => void;
  /** Awaited at the end of shutdown, once every tunnel stopped (status files are removed). */
  onShutdown?: () => Promise<void>;
  /** How often a running WireGuard connection asks the relay for its instance's status (15 s). */
  relayStatusIntervalMs?: number;
}

/** What the relay last told this agent about a WireGuard connection's instance. */
interface RelayReport {
  publicUrl: string | null;
  relay: RelayInstanceStatus | null;
}

interface Running {
  supervisor: TunnelSupervisor;
  unsubscribe: () => void;
}

/** A token from the whole verification link, or the token itself. */
function tokenFromLink(value: string): string {
  const trimmed = value.trim();
  try {
    const url = new URL(trimmed);
    return url.searchParams.get('token') ?? trimmed;
  } catch {
    return trimmed;
  }
}

/**
 * The app's brain, driven alike by Electron main, the web host and the CLI: the account
 * session (tokens in the SecretStore), instances and domains through the relay client, the
 * connections (settings in lowdb, secrets in the SecretStore, one supervisor per running
 * tunnel), auto-start on launch, Docker discovery, logs and a stream of state.
 */
export class Manager implements ManagerApi {
  readonly logs: LogBook;
  private client: RelayClient;
  private user: SessionUser | null = null;
  private readonly running = new Map<string, Running>();
  /** What the relay last said per WireGuard connection (public URL, status model). */
  private readonly relayReports = new Map<string, RelayReport>();
  /** Bumped on every tunnel status change, so a relay answer from before it is dropped. */
  private readonly relayEpochs = new Map<string, number>();
  /** Which secrets exist (for `hasToken`): listed at start, then updated by this Manager's writes. */
  private readonly tokenAccounts = new Set<string>();
  private readonly connectionListeners = new Set<(c: ConnectionView[]) => void>();
  private readonly sessionListeners = new Set<(s: SessionView) => void>();
  /**
   * Starting, stopping, editing, removing and testing a connection run one at a time per
   * connection id: two clicks on Connect (or auto-start plus a click) must not start two drivers.
   */
  private readonly lifecycle = new KeyedLock();
  private shuttingDown = false;
  private shutdownDone: Promise<void> | null = null;

  private constructor(private readonly deps: ManagerDeps) {
    this.logs = new LogBook(2000, deps.logSink);
    this.client = this.makeClient(deps.settings.getRelayUrl());
  }

  /** Build a Manager and read which secrets exist (never their values). */
  static async create(deps: ManagerDeps): Promise<Manager> {
    const manager = new Manager(deps);
    if (deps.settings.loadProblem) manager.logs.add('warn', deps.settings.loadProblem.message);
    try {
      for (const account of await deps.secrets.listAccounts()) manager.tokenAccounts.add(account);
    } catch (e) {
      manager.logs.add('error', `The keychain could not be read: ${(e as Error).message}`);
    }
    return manager;
  }

  private makeClient(relayUrl: string): RelayClient {
    return new RelayClient({ baseUrl: relayUrl }, secretTokenStore(this.deps.secrets));
  }

  private unexpected = (cause: unknown) => {
    this.logs.add(
      'error',
      `Unexpected error: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  };

  private run<T>(fn: () => Promise<T>): Promise<Result<T>> {
    return attempt(fn, this.unexpected);
  }

  private async setSecret(account: string, secret: string): Promise<void> {
    await this.deps.secrets.set(account, secret);
    this.tokenAccounts.add(account);
  }

  private async deleteSecret(account: string): Promise<void> {
    await this.deps.secrets.delete(account);
    this.tokenAccounts.delete(account);
  }

  // ---------------------------------------------------------------- session

  private sessionView(): SessionView {
    return { signedIn: this.user !== null, relayUrl: this.client.baseUrl, user: this.user };
  }

  private emitSession(): void {
    const view = this.sessionView();
    for (const l of this.sessionListeners) l(view);
  }

  /** Sessions end server-side (refresh revoked): forget the tokens and say so. */
  private async sessionEnded(e: unknown): Promise<never> {
    if (e instanceof ApiError && e.code === 'NOT_SIGNED_IN' && this.user) {
      this.user = null;
      this.emitSession();
    }
    throw e;
  }

  private userCall<T>(fn: () => Promise<T>): Promise<Result<T>> {
    return this.run(() => fn().catch((e: unknown) => this.sessionEnded(e)));
  }

  getSession(): Promise<Result<SessionView>> {
    return this.run(async () => {
      if (!(await this.client.isSignedIn())) {
        this.user = null;
        return this.sessionView();
      }
      try {
        const profile = await this.client.call('getUser', {});
        this.user = {
          id: profile.id,
          email: profile.email,
          name: profile.name,
          email_verified: profile.email_verified,
          subscription_status: profile.subscription_status,
          subscription_plan: profile.subscription_plan,
        };
      } catch (e) {
        if (e instanceof ApiError && e.code === 'NOT_SIGNED_IN') this.user = null;
        else if (!this.user) throw e;
      }
      return this.sessionView();
    });
  }

  setRelayUrl(url: string): Promise<Result<SessionView>> {
    return this.run(async () => {
      const normalized = url.replace(/\/+$/, '');
      if (normalized === this.client.baseUrl) return this.sessionView();
      await this.client.logout();
      this.user = null;
      await this.deps.settings.setRelayUrl(normalized);
      this.client = this.makeClient(normalized);
      this.logs.add('info', `Relay set to ${normalized}`);
      this.emitSession();
      return this.sessionView();
    });
  }

  signUp(input: RegisterRequest): Promise<Result<{ email: string; message: string }>> {
    return this.run(async () => {
      const res = await this.client.call('register', { body: input });
      return { email: res.user.email, message: res.message };
    });
  }

  verifyEmail(tokenOrLink: string): Promise<Result<{ message: string }>> {
    return this.run(async () => {
      const res = await this.client.call('verifyEmail', {
        body: { token: tokenFromLink(tokenOrLink) },
      });
      if (this.user) await this.getSession();
      this.emitSession();
      return { message: res.message };
    });
  }

  resendVerification(email: string): Promise<Result<{ message: string }>> {
    return this.run(() => this.client.call('resendVerification', { body: { email } }));
  }

  signIn(email: string, password: string): Promise<Result<SessionView>> {
    return this.run(async () => {
      const res = await this.client.login(email, password);
      this.user = res.user;
      this.logs.add('info', `Signed in as ${res.user.email}`);
      this.emitSession();
      return this.sessionView();
    });
  }

  signOut(): Promise<Result<SessionView>> {
    return this.run(async () => {
      await this.client.logout();
      this.user = null;
      this.logs.add('info', 'Signed out');
      this.emitSession();
      return this.sessionView();
    });
  }

  forgotPassword(email: string): Promise<Result<{ message: string }>> {
    return this.run(() => this.client.call('forgotPassword', { body: { email } }));
  }

  resetPassword(input: {
    token: string;
    password: string;
    password_confirmation: string;
  }): Promise<Result<{ message: string }>> {
    return this.run(() =>
      this.client.call('resetPassword', { body: { ...input, token: tokenFromLink(input.token) } }),
    );
  }

  updateProfile(input: { name: string }): Promise<Result<SessionView>> {
    return this.userCall(async () => {
      const res = await this.client.call('updateUser', { body: input });
      if (this.user) this.user = { ...this.user, name: res.name };
      this.emitSession();
      return this.sessionView();
    });
  }

  // ---------------------------------------------------------------- billing

  getSubscription() {
    return this.userCall(async () => {
      const sub = await this.client.call('getSubscription', {});
      if (
        this.user &&
        (this.user.subscription_plan !== sub.plan || this.user.subscription_status !== sub.status)
      ) {
        this.user = { ...this.user, subscription_plan: sub.plan, subscription_status: sub.status };
        this.emitSession();
      }
      return sub;
    });
  }

  startCheckout(plan: PaidPlan) {
    return this.userCall(() => this.client.call('checkout', { body: { plan } }));
  }

  openBillingPortal() {
    return this.userCall(() =>
      this.client.call('portal', {
        body: { return_url: `${this.client.baseUrl}/v1/billing/return` },
      }),
    );
  }

  // ---------------------------------------------------------------- instances and domains

  listInstances() {
    return this.userCall(async () => (await this.client.call('listInstances', {})).instances);
  }

  checkSubdomain(subdomain: string) {
    return this.userCall(() => this.client.call('checkSubdomain', { query: { subdomain } }));
  }

  createInstance(input: { name: string; subdomain: string }) {
    return this.userCall(async () => {
      const res = await this.client.call('createInstance', { body: input });
      await this.setSecret(
        secretAccounts.instanceToken(res.instance.id),
        res.credentials.instance_token,
      );
      this.logs.add(
        'info',
        `Instance ${res.instance.full_domain} created; its token is in the keychain`,
      );
      return { instance: res.instance, instance_token: res.credentials.instance_token };
    });
  }

  updateInstance(id: string, patch: { name?: string; subdomain?: string }) {
    return this.userCall(() =>
      this.client.call('updateInstance', { params: { instance_id: id }, body: patch }),
    );
  }

  deleteInstance(id: string) {
    return this.userCall(async () => {
      await this.client.call('deleteInstance', { params: { instance_id: id } });
      for (const c of this.deps.settings.listConnections().filter((c) => c.instanceId === id)) {
        await this.lifecycle.run(c.id, () => this.removeConnectionNow(c.id));
        this.logs.add('info', `Connection "${c.name}" removed with its instance`, c.id);
      }
      await this.deleteSecret(secretAccounts.instanceToken(id));
      return null;
    });
  }

  regenerateInstanceToken(id: string) {
    return this.userCall(async () => {
      const res = await this.client.call('regenerateToken', { params: { instance_id: id } });
      await this.setSecret(secretAccounts.instanceToken(id), res.instance_token);
      // A running tunnel of this instance holds the old token: restart it with the new one.
      for (const c of this.deps.settings.listConnections().filter((c) => c.instanceId === id)) {
        await this.lifecycle.run(c.id, async () => {
          if (this.running.has(c.id)) await this.restart(c.id);
        });
      }
      return res;
    });
  }

  listDomains(instanceId: string) {
    return this.userCall(
      async () =>
        (await this.client.call('listDomains', { params: { instance_id: instanceId } })).domains,
    );
  }

  addDomain(instanceId: string, domain: string) {
    return this.userCall(() =>
      this.client.call('addDomain', { params: { instance_id: instanceId }, body: { domain } }),
    );
  }

  verifyDomain(instanceId: string, domain: string) {
    return this.userCall(() =>
      this.client.call('verifyDomain', { params: { instance_id: instanceId, domain } }),
    );
  }

  removeDomain(instanceId: string, domain: string) {
    return this.userCall(async () => {
      await this.client.call('deleteDomain', { params: { instance_id: instanceId, domain } });
      return null;
    });
  }

  // ---------------------------------------------------------------- connections

  private tokenAccountOf(c: Pick<ConnectionSettings, 'id' | 'kind' | 'instanceId'>): string {
    return c.kind === 'cloudflare'
      ? secretAccounts.cloudflareToken(c.id)
      : secretAccounts.instanceToken(c.instanceId ?? '');
  }

  private view(c: ConnectionSettings): ConnectionView {
    const running = this.running.get(c.id);
    const status = running ? running.supervisor.status : idleStatus(c.kind);
    const report = this.relayReports.get(c.id);
    return {
      id: c.id,
      name: c.name,
      kind: c.kind,
      instanceId: c.instanceId,
      target: c.target,
      enabled: c.enabled,
      hasToken: this.tokenAccounts.has(this.tokenAccountOf(c)),
      status,
      publicUrl:
        c.kind === 'cloudflare'
          ? status.hostname
            ? `https://${status.hostname}`
            : null
          : (report?.publicUrl ?? null),
      relay: c.kind === 'wireguard' ? (report?.relay ?? null) : null,
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
    };
  }

  private views(): ConnectionView[] {
    return this.deps.settings.listConnections().map((c) => this.view(c));
  }

  private emitConnections(changed?: string): void {
    const views = this.views();
    if (changed && this.deps.onConnectionStatus) {
      const v = views.find((x) => x.id === changed);
      if (v) this.deps.onConnectionStatus(v);
    }
    for (const l of this.connectionListeners) l(views);
  }

  private connection(id: string): ConnectionSettings {
    const c = this.deps.settings.getConnection(id);
    if (!c) throw new ManagerError('NOT_FOUND', 'There is no such connection');
    return c;
  }

  /** A driver for the connection, from its settings and its secrets. */
  private async driverFor(c: ConnectionSettings): Promise<TunnelDriver> {
    if (c.kind === 'cloudflare') {
      const token = await this.deps.secrets.get(secretAccounts.cloudflareToken(c.id));
      if (!token)
        throw new ManagerError(
          'TOKEN_MISSING',
          `"${c.name}" has no Cloudflare tunnel token; edit it and paste the token`,
        );
      return this.deps.drivers.cloudflared(token);
    }
    const api = this.reportingApi(c.id, await this.instanceApiFor(c));
    let privateKey = await this.deps.secrets.get(secretAccounts.wireguardKey(c.id));
    if (!privateKey) {
      privateKey = generateKeyPair().privateKey;
      await this.setSecret(secretAccounts.wireguardKey(c.id), privateKey);
    }
    return this.deps.drivers.wireguard({ api, privateKey, target: c.target ?? '' });
  }

  /** The tunnel endpoints with a WireGuard connection's instance token. */
  private async instanceApiFor(c: ConnectionSettings): Promise<InstanceApi> {
    const instanceToken = await this.deps.secrets.get(
      secretAccounts.instanceToken(c.instanceId ?? ''),
    );
    if (!instanceToken) {
      throw new ManagerError(
        'TOKEN_MISSING',
        `"${c.name}" has no instance token on this machine; paste it when editing the connection, or regenerate it`,
      );
    }
    return new InstanceClient({ baseUrl: this.deps.settings.getRelayUrl() }, instanceToken);
  }

  /**
   * The instance API with what the relay says on the way recorded for the connection's view:
   * the public URL from the registration, the status model from every status answer.
   */
  private reportingApi(id: string, api: InstanceApi): InstanceApi {
    return {
      registerTunnel: async (body) => {
        const res = await api.registerTunnel(body);
        this.noteRelayReport(id, { publicUrl: res.public_url ?? null });
        return res;
      },
      heartbeat: () => api.heartbeat(),
      disconnect: () => api.disconnect(),
      status: async () => {
        const asked = this.relayEpochs.get(id) ?? 0;
        const res = await api.status();
        // An answer to a question asked before the tunnel last changed may already be stale.
        if ((this.relayEpochs.get(id) ?? 0) !== asked) return res;
        this.noteRelayReport(id, {
          publicUrl: res.public_url ?? null,
          relay: { status: res.tunnel_status, agent: res.agent, data_path: res.data_path },
        });
        return res;
      },
    };
  }

  private noteRelayReport(id: string, update: Partial<RelayReport>): void {
    const before = this.relayReports.get(id) ?? { publicUrl: null, relay: null };
    const after = { ...before, ...update };
    this.relayReports.set(id, after);
    if (JSON.stringify(after) !== JSON.stringify(before)) this.emitConnections(id);
  }

  /** Ask the relay how it sees a WireGuard connection's instance; a failure keeps the last word. */
  private async refreshRelayReport(id: string): Promise<void> {
    const c = this.deps.settings.getConnection(id);
    if (!c || c.kind !== 'wireguard') return;
    try {
      await this.reportingApi(id, await this.instanceApiFor(c)).status();
    } catch {
      // The driver reports an unreachable relay in its own status; nothing to add here.
    }
  }

  private watch(id: string, supervisor: TunnelSupervisor): () => void {
    // The supervisor logs its own transitions (connected, lost, restarting); only forward them.
    // Each transition and a steady timer also ask the relay, so the connection shows the
    // relay's status model as the Instances screen does. Status events that only carry new
    // figures (bytes, probe time: every health check) just re-emit: asking the relay then
    // would cost a call per check and blank its word between answers.
    let lastState: TunnelStatus['status'] | null = null;
    const onStatus = (s: TunnelStatus) => {
      if (s.status === lastState) return this.emitConnections(id);
      lastState = s.status;
      // The relay's last word predates this change (e.g. "pending" from before the tunnel
      // came up): drop it until the relay answers again, so no stale word is shown meanwhile.
      this.relayEpochs.set(id, (this.relayEpochs.get(id) ?? 0) + 1);
      const report = this.relayReports.get(id);
      if (report) this.relayReports.set(id, { ...report, relay: null });
      this.emitConnections(id);
      void this.refreshRelayReport(id);
    };
    const onLog = (line: { level: LogEntry['level']; message: string; at: Date }) =>
      this.logs.add(line.level, line.message, id, line.at);
    supervisor.events.on('status', onStatus);
    supervisor.events.on('log', onLog);
    const timer = setInterval(
      () => void this.refreshRelayReport(id),
      this.deps.relayStatusIntervalMs ?? 15_000,
    );
    timer.unref?.();
    return () => {
      clearInterval(timer);
      supervisor.events.off('status', onStatus);
      supervisor.events.off('log', onLog);
    };
  }

  /**
   * Make the connection's supervisor and set it going, unless one exists; the caller holds the
   * connection's lifecycle lock. `started` settles when its first start attempt has (failures
   * show in its status); it is wrapped so the caller may await it after releasing the lock,
   * since the supervisor is in `running` and started by then, so a stop queued behind the lock
   * stops it.
   */
  private async startLocked(id: string): Promise<{ started: Promise<unknown> }> {
    const c = this.connection(id);
    if (this.running.has(id)) return { started: Promise.resolve() };
    if (this.shuttingDown) {
      throw new ManagerError('SERVICE_UNAVAILABLE', 'Cloud Connect is shutting down');
    }
    const driver = await this.driverFor(c);
    const supervisor = new TunnelSupervisor(driver, this.deps.supervisor);
    this.running.set(id, { supervisor, unsubscribe: this.watch(id, supervisor) });
    this.logs.add('info', `Starting "${c.name}"`, id);
    // No emit here: the supervisor's first status (connecting) reaches listeners through watch().
    return { started: supervisor.start() };
  }

  /** Start (or keep) the connection's supervisor; failures show in its status. */
  private async start(id: string): Promise<ConnectionView> {
    const { started } = await this.lifecycle.run(id, () => this.startLocked(id));
    await started;
    return this.view(this.connection(id));
  }

  /** Stop the connection's supervisor, if any; the caller holds the connection's lifecycle lock. */
  private async stopRunning(id: string): Promise<void> {
    const r = this.running.get(id);
    if (!r) return;
    await r.supervisor.stop();
    r.unsubscribe();
    this.running.delete(id);
    this.emitConnections(id);
  }

  /** Stop and start again; the caller holds the connection's lifecycle lock. */
  private async restart(id: string): Promise<void> {
    await this.stopRunning(id);
    const { started } = await this.startLocked(id);
    await started;
  }

  listConnections() {
    return this.run(async () => this.views());
  }

  addConnection(input: ConnectionInput) {
    return this.run(async () => {
      const c = await this.deps.settings.addConnection({
        name: input.name,
        kind: input.kind,
        instanceId: input.kind === 'wireguard' ? input.instanceId : null,
        target: input.target ?? null,
        enabled: input.enabled ?? false,
      });
      try {
        if (input.kind === 'cloudflare') {
          await this.setSecret(secretAccounts.cloudflareToken(c.id), input.token);
        } else if (input.instanceToken) {
          await this.setSecret(secretAccounts.instanceToken(input.instanceId), input.instanceToken);
        }
      } catch (e) {
        await this.deps.settings.removeConnection(c.id);
        throw e;
      }
      this.logs.add('info', `Connection "${c.name}" added`, c.id);
      this.emitConnections(c.id);
      if (c.enabled) await this.start(c.id).catch((e: unknown) => this.logStartFailure(c, e));
      return this.view(this.connection(c.id));
    });
  }

  updateConnection(id: string, patch: ConnectionPatch) {
    return this.run(() => this.lifecycle.run(id, () => this.updateConnectionLocked(id, patch)));
  }

  /** `updateConnection` with the connection's lifecycle lock held. */
  private async updateConnectionLocked(id: string, patch: ConnectionPatch) {
    const before = this.connection(id);
    if (patch.token !== undefined && before.kind !== 'cloudflare') {
      throw new ManagerError(
        'VALIDATION_ERROR',
        'Only Cloudflare connections take a tunnel token',
        { token: 'is only for Cloudflare connections' },
      );
    }
    if (patch.instanceToken !== undefined && before.kind !== 'wireguard') {
      throw new ManagerError(
        'VALIDATION_ERROR',
        'Only WireGuard connections take an instance token',
        { instanceToken: 'is only for WireGuard connections' },
      );
    }
    const after = await this.deps.settings.updateConnection(id, {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.target !== undefined ? { target: patch.target } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
    });
    if (patch.token) await this.setSecret(secretAccounts.cloudflareToken(id), patch.token);
    if (patch.instanceToken && after.instanceId)
      await this.setSecret(secretAccounts.instanceToken(after.instanceId), patch.instanceToken);
    const needsRestart =
      patch.token !== undefined ||
      patch.instanceToken !== undefined ||
      (patch.target !== undefined && patch.target !== before.target);
    if (needsRestart && this.running.has(id)) await this.restart(id);
    else if (after.enabled && !before.enabled && !this.running.has(id)) {
      await this.startLocked(id)
        .then((s) => s.started)
        .catch((e: unknown) => this.logStartFailure(after, e));
    }
    this.emitConnections(id);
    return this.view(this.connection(id));
  }

  private async removeConnectionNow(id: string): Promise<void> {
    const c = this.connection(id);
    await this.stopRunning(id);
    if (c.kind === 'cloudflare') await this.deleteSecret(secretAccounts.cloudflareToken(id));
    await this.deleteSecret(secretAccounts.wireguardKey(id));
    await this.deps.settings.removeConnection(id);
    this.relayReports.delete(id);
    this.relayEpochs.delete(id);
    this.emitConnections();
  }

  removeConnection(id: string) {
    return this.run(async () => {
      await this.lifecycle.run(id, () => this.removeConnectionNow(id));
      return null;
    });
  }

  connect(id: string) {
    return this.run(() => this.start(id));
  }

  disconnect(id: string) {
    return this.run(() =>
      this.lifecycle.run(id, async () => {
        const c = this.connection(id);
        await this.stopRunning(id);
        this.logs.add('info', `"${c.name}" disconnected`, id);
        return this.view(c);
      }),
    );
  }

  /**
   * The connectivity test (seed 000 P13-2.4), which never interrupts a running tunnel: a draft
   * token runs as a cloudflared of its own beside whatever runs; a connection running here is
   * probed where it stands; a WireGuard connection whose instance the relay sees served by an
   * agent elsewhere (another process, e.g. `cloud-connect connect`, or machine) is reported as
   * the relay sees it, since registering it again would take the peer away from that agent;
   * only a connection that runs nowhere is started for the test and stopped after it.
   */
  testConnection(input: TestConnectionInput) {
    return this.run(async () => {
      if (!('id' in input)) {
        return this.testCandidate(
          this.deps.drivers.cloudflared(input.token),
          'a Cloudflare token',
          null,
        );
      }
      const id = input.id;
      // Under the lock only the choice and a candidate's run: a live probe starts and stops
      // nothing, so a Disconnect clicked meanwhile need not wait for it.
      const outcome = await this.lifecycle.run(id, async () => {
        const c = this.connection(id);
        const supervisor = this.running.get(id)?.supervisor;
        if (supervisor?.isActive) return { live: true as const, c, supervisor };
        return { live: false as const, result: await this.testNotRunning(c) };
      });
      if (!outcome.live) return outcome.result;
      const { c, supervisor } = outcome;
      this.logs.add('info', `Testing "${c.name}" where it runs (it is not restarted)…`, id);
      const result = await probeRunningTunnel({
        tunnel: supervisor,
        timeoutMs: this.deps.testTimeoutMs ?? 30_000,
      });
      this.logTestResult(result, id);
      return result;
    });
  }

  /** Test a saved connection this app does not run; the caller holds its lifecycle lock. */
  private async testNotRunning(c: ConnectionSettings): Promise<TunnelTestResult> {
    if (c.kind === 'wireguard') {
      const elsewhere = await this.testServedElsewhere(c);
      if (elsewhere) {
        this.logTestResult(elsewhere, c.id);
        return elsewhere;
      }
    }
    return this.testCandidate(await this.driverFor(c), `"${c.name}"`, c.id);
  }

  /**
   * A WireGuard connection's instance served by an agent this app does not run, as the relay
   * sees it; null when no agent is alive for it (or the relay cannot say: then the test's own
   * start meets and reports the problem).
   */
  private async testServedElsewhere(c: ConnectionSettings): Promise<TunnelTestResult | null> {
    const s = await (await this.instanceApiFor(c)).status().catch(() => null);
    if (!s) return null;
    // Relays that predate `agent` only say `connected`, which implies an agent alive.
    const alive = s.agent ? s.agent.alive : s.tunnel_status === 'connected';
    if (!alive) return null;
    const where =
      'This tunnel runs in another Cloud Connect process or on another machine, so it was not started again for the test (a second start would take the tunnel over)';
    const relaySays = s.data_path?.detail ?? (s.tunnel_status === 'connected' ? 'connected' : '');
    const hostname = s.domains.subdomain.domain;
    if (s.tunnel_status === 'connected') {
      return {
        success: true,
        error: null,
        error_code: null,
        latency_ms: null,
        hostname,
        tested: 'elsewhere',
        note: `${where}. The relay sees it connected${relaySays && relaySays !== 'connected' ? `: ${relaySays}` : ''}.`,
      };
    }
    return {
      success: false,
      error: `${where}. Its agent is alive, but the relay reports: ${relaySays || 'not connected'}.`,
      error_code: s.data_path?.state === 'down' ? 'NO_HANDSHAKE' : 'HEALTH_CHECK_FAILED',
      latency_ms: null,
      hostname,
      tested: 'elsewhere',
    };
  }

  /** Start `candidate` for the test and stop it after (nothing of it runs before or after). */
  private async testCandidate(
    candidate: TunnelDriver,
    label: string,
    connectionId: string | null,
  ): Promise<TunnelTestResult> {
    this.logs.add('info', `Testing ${label}…`, connectionId);
    const onLog = (line: { level: LogEntry['level']; message: string; at: Date }) =>
      this.logs.add(line.level, `[test] ${line.message}`, connectionId, line.at);
    candidate.events.on('log', onLog);
    try {
      const result = await testTunnelConnectivity({
        candidate,
        timeoutMs: this.deps.testTimeoutMs ?? 30_000,
      });
      this.logTestResult(result, connectionId);
      return result;
    } finally {
      candidate.events.off('log', onLog);
    }
  }

  private logTestResult(result: TunnelTestResult, connectionId: string | null): void {
    this.logs.add(
      result.success ? 'info' : 'warn',
      result.success
        ? `Test passed${result.latency_ms !== null ? ` in ${result.latency_ms} ms` : ''}${result.hostname ? ` (${result.hostname})` : ''}${result.note ? `. ${result.note}` : ''}`
        : `Test failed: ${result.error}`,
      connectionId,
    );
  }

  private logStartFailure(c: ConnectionSettings, e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.logs.add('error', `"${c.name}" could not start: ${message}`, c.id);
  }

  /**
   * Start every connection that is enabled on start-up (seed 000 P13-2.2). A missing token or
   * a failed start is logged as an error for that connection and never thrown at the caller.
   */
  async autoStart(): Promise<void> {
    const enabled = this.deps.settings.listConnections().filter((c) => c.enabled);
    if (!enabled.length) {
      this.logs.add('info', 'No connection is enabled on start-up');
      return;
    }
    await Promise.all(
      enabled.map(async (c) => {
        try {
          await this.start(c.id);
        } catch (e) {
          this.logStartFailure(c, e);
        }
      }),
    );
  }

  /**
   * Stop every tunnel cleanly (app quit, SIGTERM). A start, edit or test in flight finishes
   * first (each stop waits behind the connection's lock), and no new start begins after this.
   */
  shutdown(): Promise<void> {
    this.shuttingDown = true;
    this.shutdownDone ??= (async () => {
      const ids = new Set([...this.running.keys(), ...this.lifecycle.busyKeys]);
      await Promise.all([...ids].map((id) => this.lifecycle.run(id, () => this.stopRunning(id))));
      await this.deps.onShutdown?.();
    })();
    return this.shutdownDone;
  }

  // ---------------------------------------------------------------- docker, logs, events

  listContainers() {
    return this.run(() => this.deps.docker.listContainers());
  }

  async getLogs(options?: { connectionId?: string; limit?: number }) {
    return ok(this.logs.list(options));
  }

  onConnections(listener: (connections: ConnectionView[]) => void): Unsubscribe {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  onSession(listener: (session: SessionView) => void): Unsubscribe {
    this.sessionListeners.add(listener);
    return () => this.sessionListeners.delete(listener);
  }

  onLog(listener: (entry: LogEntry) => void): Unsubscribe {
    return this.logs.subscribe(listener);
  }
}
