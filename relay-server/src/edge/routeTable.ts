import type { RelayEvents } from '../events.js';
import type { Logger } from '../logging/logger.js';
import type { DomainRecord, InstanceRecord, Store } from '../store/types.js';
import { clientAddressAt, clientCount, type Cidr } from '../tunnelAddresses/cidr.js';
import type { RouteGuard, TunnelRoute } from './tunnelRouteGuard.js';

/** What the edge needs to know about one instance. */
export interface InstanceRoute {
  instanceId: string;
  subdomain: string;
  /**
   * `tunnelIp:targetPort` (the port the agent's forwarder registered) while the agent is
   * online: it registered a key and its last word was "connected" (heartbeat), not a
   * disconnect or a regenerated token. Null otherwise. A crashed agent still counts until the
   * connection through the tunnel fails, which the proxy reports as offline too. Null as well
   * while the host routes the tunnel IP anywhere but WireGuard or loopback (see RouteGuard).
   * Worked out once per store change, not per request.
   */
  upstream: { host: string; port: number } | null;
}

/** A Host the edge serves, and where it goes. */
export interface ResolvedRoute {
  host: string;
  kind: 'subdomain' | 'custom';
  instance: InstanceRoute;
  /** `tunnelIp:targetPort` when the instance can take traffic now, null when it is offline. */
  upstream: { host: string; port: number } | null;
}

/**
 * The lowercase host name of a Host header: port and trailing root dot removed. Null for
 * anything that is not a plain DNS name (IP literals, garbage), which no route can match.
 */
export function hostName(header: string | undefined): string | null {
  if (!header) return null;
  let h = header.trim().toLowerCase();
  if (h.startsWith('[')) return null;
  const colon = h.indexOf(':');
  if (colon !== -1) {
    if (!/^\d{1,5}$/.test(h.slice(colon + 1))) return null;
    h = h.slice(0, colon);
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (h.length === 0 || h.length > 253 || !/^[a-z0-9.-]+$/.test(h)) return null;
  return h;
}

/** Whether an instance may take traffic; the relay passes its LivenessWatch's rule. */
export type IsConnected = (i: InstanceRecord) => boolean;

/** Without a liveness rule (tests of the table alone): the store's last word. */
const storeSaysConnected: IsConnected = (i) => i.status === 'connected';

/** Where an online instance's traffic would go, before the route guard has its say. */
function candidateUpstream(
  i: InstanceRecord,
  isConnected: IsConnected,
): { host: string; port: number } | null {
  const online = i.publicKey !== null && isConnected(i);
  return online && i.targetPort !== null ? { host: i.tunnelIp, port: i.targetPort } : null;
}

/** How often the host's routes for tunnel IPs are asked again (routes change without events). */
export const ROUTE_RECHECK_INTERVAL_MS = 30_000;

/**
 * Host → instance, kept in memory and indexed both ways, so a request costs two map lookups
 * and never touches the store. It loads once from the store and then follows the relay's
 * `instance-changed` / `domain-changed` events (each re-reads that one record), so a deleted
 * domain or instance stops routing as soon as its event is handled — milliseconds.
 */
export class RouteTable {
  private readonly instances = new Map<string, InstanceRoute>();
  private readonly bySubdomain = new Map<string, string>();
  /** Verified custom domain → instance id. */
  private readonly customDomains = new Map<string, string>();
  private readonly domainsByInstance = new Map<string, Set<string>>();
  private readonly listeners = new Set<() => void>();
  /** Instance id → where its traffic would go if the route guard allows it. */
  private readonly candidates = new Map<string, { host: string; port: number } | null>();
  /** Instance id → its tunnel IP, whose route is known before the instance comes online. */
  private readonly tunnelIps = new Map<string, string>();
  /** Tunnel IP → the guard's last verdict; asked again every recheck. */
  private readonly verdicts = new Map<string, TunnelRoute>();
  /** Routes already warned about, so a misrouted TUNNEL_CIDR is logged once, not per instance. */
  private readonly warned = new Set<string>();
  private recheckTimer: NodeJS.Timeout | null = null;
  /** Updates run one after another so a slow read never overwrites a newer one. */
  private queue: Promise<void> = Promise.resolve();
  private readonly suffix: string;
  private readonly onInstance = ({ instanceId }: { instanceId: string }) =>
    this.enqueue(() => this.refreshInstance(instanceId));
  private readonly onDomain = ({ domain }: { domain: string }) =>
    this.enqueue(() => this.refreshDomain(domain));

  private constructor(
    private readonly store: Store,
    private readonly events: RelayEvents,
    readonly baseDomain: string,
    private readonly logger: Logger,
    private readonly guard: RouteGuard,
    private readonly isConnected: IsConnected,
  ) {
    this.suffix = `.${baseDomain}`;
  }

  /**
   * Load every instance and verified domain, then follow the events until `close()`. The
   * guard is asked once about `tunnelCidr` (so a misrouted pool is warned about at start-up,
   * with or without instances online) and about each online instance's tunnel IP; its
   * verdicts are cached per IP and asked again every `recheckIntervalMs` (0: never).
   */
  static async open(deps: {
    store: Store;
    events: RelayEvents;
    baseDomain: string;
    logger: Logger;
    guard: RouteGuard;
    /** The relay's liveness rule, so the edge and the API agree on who is connected. */
    isConnected?: IsConnected;
    tunnelCidr: Cidr;
    recheckIntervalMs?: number;
  }): Promise<RouteTable> {
    const table = new RouteTable(
      deps.store,
      deps.events,
      deps.baseDomain,
      deps.logger,
      deps.guard,
      deps.isConnected ?? storeSaysConnected,
    );
    // Subscribe first: an event during the load is applied after it, never lost.
    deps.events.on('instance-changed', table.onInstance);
    deps.events.on('domain-changed', table.onDomain);
    table.enqueue(() => table.checkPool(deps.tunnelCidr));
    table.enqueue(() => table.load());
    await table.settled();
    const every = deps.recheckIntervalMs ?? ROUTE_RECHECK_INTERVAL_MS;
    if (every > 0) {
      table.recheckTimer = setInterval(() => table.recheckRoutes(), every);
      table.recheckTimer.unref();
    }
    return table;
  }

  /**
   * Ask the guard again about every cached tunnel IP and re-route the instances whose verdict
   * changed (an operator brought WireGuard up, or a route moved to a LAN). Resolves once
   * applied; listeners hear of it only when a route changed.
   */
  recheckRoutes(): Promise<void> {
    this.enqueue(async () => {
      const inUse = new Set(this.tunnelIps.values());
      // IPs no instance uses any more are forgotten rather than asked about forever.
      for (const ip of this.verdicts.keys()) if (!inUse.has(ip)) this.verdicts.delete(ip);
      if (inUse.size === 0) return false;
      let changed = false;
      for (const [ip, v] of await this.guard.check([...inUse])) {
        if (this.verdicts.get(ip)?.safe !== v.safe) changed = true;
        this.verdicts.set(ip, v);
        this.warnIfUnsafe(v, ip);
      }
      if (!changed) return false;
      for (const [id, route] of this.instances) {
        this.instances.set(id, {
          ...route,
          upstream: this.guarded(this.candidates.get(id) ?? null),
        });
      }
      return true;
    });
    return this.settled();
  }

  /** Where a request with this Host header goes; null when no instance serves it. */
  resolve(hostHeader: string | undefined): ResolvedRoute | null {
    const host = hostName(hostHeader);
    if (!host) return null;
    let kind: ResolvedRoute['kind'] = 'custom';
    let id = this.customDomains.get(host);
    if (id === undefined && host.endsWith(this.suffix)) {
      const label = host.slice(0, -this.suffix.length);
      if (!label.includes('.')) {
        id = this.bySubdomain.get(label);
        kind = 'subdomain';
      }
    }
    const instance = id === undefined ? undefined : this.instances.get(id);
    if (!instance) return null;
    return { host, kind, instance, upstream: instance.upstream };
  }

  /** Every host with a route: subdomains of existing instances and verified custom domains. */
  hosts(): ResolvedRoute[] {
    const out: ResolvedRoute[] = [];
    for (const i of this.instances.values()) {
      const r = this.resolve(`${i.subdomain}${this.suffix}`);
      if (r) out.push(r);
    }
    for (const d of this.customDomains.keys()) {
      const r = this.resolve(d);
      if (r) out.push(r);
    }
    return out;
  }

  get size(): number {
    return this.instances.size + this.customDomains.size;
  }

  /** Called after every change that can alter routing; returns an unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once every event received so far has been applied. */
  settled(): Promise<void> {
    return this.queue;
  }

  close(): void {
    if (this.recheckTimer) clearInterval(this.recheckTimer);
    this.recheckTimer = null;
    this.events.off('instance-changed', this.onInstance);
    this.events.off('domain-changed', this.onDomain);
    this.listeners.clear();
  }

  /** Run `task` after every earlier one; listeners hear of it unless it returns false. */
  private enqueue(task: () => Promise<void | boolean>): void {
    this.queue = this.queue
      .then(task)
      .then((changed) => {
        if (changed !== false) this.notify();
      })
      .catch((e: unknown) => {
        // A store read failing leaves the previous route in place; the next event fixes it.
        this.logger.error({ err: (e as Error).message }, 'edge: route update failed');
      });
  }

  private notify() {
    for (const l of this.listeners) {
      try {
        l();
      } catch (e) {
        this.logger.error({ err: (e as Error).message }, 'edge: route listener failed');
      }
    }
  }

  /** The start-up look at the pool: its first and last client address stand for it. */
  private async checkPool(cidr: Cidr) {
    const sample = [clientAddressAt(cidr, 0), clientAddressAt(cidr, clientCount(cidr) - 1)];
    for (const v of (await this.guard.check(sample)).values()) this.warnIfUnsafe(v, cidr.text);
    return false;
  }

  /** Make sure the guard has a verdict for each of these IPs (cached ones are kept). */
  private async learnRoutes(ips: string[]) {
    const unknown = [...new Set(ips)].filter((ip) => !this.verdicts.has(ip));
    if (unknown.length === 0) return;
    for (const [ip, v] of await this.guard.check(unknown)) {
      this.verdicts.set(ip, v);
      this.warnIfUnsafe(v, ip);
    }
  }

  private guarded(upstream: { host: string; port: number } | null) {
    return upstream && this.verdicts.get(upstream.host)?.safe === true ? upstream : null;
  }

  /** One warning per distinct route the host would send tunnel traffic out of. */
  private warnIfUnsafe(v: TunnelRoute, label: string) {
    if (v.safe || this.warned.has(v.route)) return;
    this.warned.add(v.route);
    this.logger.warn(
      { route: `${label} → ${v.route}`, reason: v.why },
      `edge: ${label} → ${v.route} is not a WireGuard interface or loopback (${v.why}), so the edge does not dial tunnel IPs routed there: instances on WireGuard show as offline (502), while the stream transport is not affected. Route TUNNEL_CIDR through the WireGuard interface that reaches the agents (e.g. ip route add <TUNNEL_CIDR> dev wg0), or let the relay run its own with WG_MODE=wireguard-go or kernel.`,
    );
  }

  private async load() {
    // The one full read, at start-up; everything after is per record.
    const data = await this.store.dump();
    const instances = Object.values(data.instances);
    // Every instance's tunnel IP, online or not, so one that comes online later (register,
    // heartbeat) is routed at once rather than after a route lookup.
    await this.learnRoutes(instances.map((i) => i.tunnelIp));
    for (const i of instances) this.setInstance(i);
    for (const d of Object.values(data.domains)) this.setDomain(d);
  }

  private async refreshInstance(id: string) {
    const record = await this.store.instances.get(id);
    if (!record) return this.dropInstance(id);
    await this.learnRoutes([record.tunnelIp]);
    this.setInstance(record);
    // A moved or re-created instance keeps only the domains the store still verifies.
    for (const d of [...(this.domainsByInstance.get(id) ?? [])]) await this.refreshDomain(d);
  }

  private async refreshDomain(domain: string) {
    const record = await this.store.domains.get(domain);
    if (!record) return this.dropDomain(domain);
    this.setDomain(record);
  }

  private setInstance(i: InstanceRecord) {
    const previous = this.instances.get(i.id);
    if (previous && previous.subdomain !== i.subdomain) {
      if (this.bySubdomain.get(previous.subdomain) === i.id)
        this.bySubdomain.delete(previous.subdomain);
    }
    const candidate = candidateUpstream(i, this.isConnected);
    this.candidates.set(i.id, candidate);
    this.tunnelIps.set(i.id, i.tunnelIp);
    this.instances.set(i.id, {
      instanceId: i.id,
      subdomain: i.subdomain,
      upstream: this.guarded(candidate),
    });
    this.bySubdomain.set(i.subdomain, i.id);
  }

  private dropInstance(id: string) {
    const previous = this.instances.get(id);
    if (previous && this.bySubdomain.get(previous.subdomain) === id)
      this.bySubdomain.delete(previous.subdomain);
    this.instances.delete(id);
    this.candidates.delete(id);
    this.tunnelIps.delete(id);
    for (const d of this.domainsByInstance.get(id) ?? []) this.customDomains.delete(d);
    this.domainsByInstance.delete(id);
  }

  private setDomain(d: DomainRecord) {
    if (d.status !== 'verified') return this.dropDomain(d.domain);
    const owner = this.customDomains.get(d.domain);
    if (owner !== undefined && owner !== d.instanceId) this.dropDomain(d.domain);
    this.customDomains.set(d.domain, d.instanceId);
    let set = this.domainsByInstance.get(d.instanceId);
    if (!set) this.domainsByInstance.set(d.instanceId, (set = new Set()));
    set.add(d.domain);
  }

  private dropDomain(domain: string) {
    const owner = this.customDomains.get(domain);
    this.customDomains.delete(domain);
    if (owner !== undefined) this.domainsByInstance.get(owner)?.delete(domain);
  }
}
