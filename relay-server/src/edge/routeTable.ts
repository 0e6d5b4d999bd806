import type { RelayEvents } from '../events.js';
import type { Logger } from '../logging/logger.js';
import type { DomainRecord, InstanceRecord, Store } from '../store/types.js';

/** What the edge needs to know about one instance. */
export interface InstanceRoute {
  instanceId: string;
  subdomain: string;
  /**
   * `tunnelIp:targetPort` (the port the agent's forwarder registered) while the agent is
   * online: it registered a key and its last word was "connected" (heartbeat), not a
   * disconnect or a regenerated token. Null otherwise. A crashed agent still counts until the
   * connection through the tunnel fails, which the proxy reports as offline too. Worked out
   * once per store change, not per request.
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

function toRoute(i: InstanceRecord): InstanceRoute {
  const online = i.status === 'connected' && i.publicKey !== null;
  return {
    instanceId: i.id,
    subdomain: i.subdomain,
    upstream: online && i.targetPort !== null ? { host: i.tunnelIp, port: i.targetPort } : null,
  };
}

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
  ) {
    this.suffix = `.${baseDomain}`;
  }

  /** Load every instance and verified domain, then follow the events until `close()`. */
  static async open(deps: {
    store: Store;
    events: RelayEvents;
    baseDomain: string;
    logger: Logger;
  }): Promise<RouteTable> {
    const table = new RouteTable(deps.store, deps.events, deps.baseDomain, deps.logger);
    // Subscribe first: an event during the load is applied after it, never lost.
    deps.events.on('instance-changed', table.onInstance);
    deps.events.on('domain-changed', table.onDomain);
    table.enqueue(() => table.load());
    await table.settled();
    return table;
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
    this.events.off('instance-changed', this.onInstance);
    this.events.off('domain-changed', this.onDomain);
    this.listeners.clear();
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue
      .then(task)
      .then(() => this.notify())
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

  private async load() {
    // The one full read, at start-up; everything after is per record.
    const data = await this.store.dump();
    for (const i of Object.values(data.instances)) this.setInstance(i);
    for (const d of Object.values(data.domains)) this.setDomain(d);
  }

  private async refreshInstance(id: string) {
    const record = await this.store.instances.get(id);
    if (!record) return this.dropInstance(id);
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
    this.instances.set(i.id, toRoute(i));
    this.bySubdomain.set(i.subdomain, i.id);
  }

  private dropInstance(id: string) {
    const previous = this.instances.get(id);
    if (previous && this.bySubdomain.get(previous.subdomain) === id)
      this.bySubdomain.delete(previous.subdomain);
    this.instances.delete(id);
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
