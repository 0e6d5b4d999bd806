import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import type { RelayEvents } from '../events.js';
import type { Logger } from '../logging/logger.js';
import { instanceHealth, type InstanceHealth } from '../presenters/instance.js';
import type { TunnelTiming } from '../services.js';
import type { InstanceRecord, Store } from '../store/types.js';
import { latestHandshakes, type Handshakes } from '../wireguard/handshakeLiveness.js';
import type { WireGuardServer } from '../wireguard/server.js';

export interface LivenessDeps {
  config: Pick<Config, 'wgEndpoint'>;
  store: Store;
  wireguard: WireGuardServer;
  clock: Clock;
  timing: TunnelTiming;
  events: RelayEvents;
  logger: Logger;
  /** The stream transport's sessions: a live one is a data path that is up. */
  streams?: { has(instanceId: string): boolean; instanceIds(): string[] };
}

/**
 * The one place that decides whether an instance is connected, for the Cloud API and the edge
 * alike, so the edge never serves an instance the API calls down, nor refuses one it calls up.
 *
 * Connectedness changes with time (a heartbeat or a handshake goes stale) without any store
 * write, so the watch re-evaluates every registered instance on a timer (`sweep`) and on every
 * API read (`health`), and emits `instance-changed` whenever an instance's connectedness
 * differs from what it last published: the edge's route table follows that event within
 * milliseconds. Handshakes come from one shared snapshot of the interface.
 */
export class LivenessWatch {
  private handshakes: Handshakes | null = null;
  /** Reads of the interface started so far, so an older answer never replaces a newer one. */
  private reads = 0;
  private appliedRead = 0;
  private readonly published = new Map<string, boolean>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: LivenessDeps) {}

  /** The instance's health from the current handshake snapshot (no I/O, no event). */
  healthNow(i: InstanceRecord): InstanceHealth {
    const d = this.deps;
    const streamLive = d.streams?.has(i.id) ?? false;
    const endpoint = d.config.wgEndpoint;
    return instanceHealth(i, d.clock.now(), d.timing, this.handshakes, endpoint, streamLive);
  }

  /**
   * Whether the edge may send traffic to the instance now. The route table calls this when it
   * (re)computes a route, so the answer is what the edge acts on: a later sweep or API read
   * that differs from it is a flip and re-routes.
   */
  isConnected(i: InstanceRecord): boolean {
    const connected = this.healthNow(i).status === 'connected';
    this.published.set(i.id, connected);
    return connected;
  }

  /**
   * The instances' health for an API answer: handshakes read now (never a read already in
   * flight, which may predate a handshake the caller knows of), and the edge told of a flip.
   */
  async healthOf(records: readonly InstanceRecord[]): Promise<InstanceHealth[]> {
    await this.readHandshakes({ fresh: true });
    return records.map((i) => {
      const h = this.healthNow(i);
      this.publish(i.id, h.status === 'connected');
      return h;
    });
  }

  /**
   * Re-evaluate one instance on the handshakes already read (the sweep's, at most a few
   * seconds old) and tell the edge of a flip. A heartbeat calls this: it must stay cheap, so
   * it never reads the interface (10,000 agents heartbeat about 170 times a second).
   */
  recheck(i: InstanceRecord): void {
    this.publish(i.id, this.healthNow(i).status === 'connected');
  }

  /** `healthOf` for one instance. */
  async health(i: InstanceRecord): Promise<InstanceHealth> {
    const [h] = await this.healthOf([i]);
    return h as InstanceHealth;
  }

  /**
   * Re-read the handshakes and re-evaluate every registered instance, publishing flips;
   * answers how many are connected (stream-carried ones included).
   */
  async sweep(): Promise<number> {
    await this.readHandshakes();
    let connected = 0;
    const registered = new Set<string>();
    for (const i of await this.deps.store.instances.listRegistered()) {
      registered.add(i.id);
      const up = this.healthNow(i).status === 'connected';
      this.publish(i.id, up);
      if (up) connected++;
    }
    // An agent on the stream transport need not register a key: its session is what counts.
    for (const id of this.deps.streams?.instanceIds() ?? []) if (!registered.has(id)) connected++;
    return connected;
  }

  /** Sweep every `intervalMs` until `close()`; a failed sweep is logged and the next one runs. */
  start(intervalMs: number): void {
    this.timer ??= setInterval(() => {
      this.sweep().catch((e: unknown) =>
        this.deps.logger.error({ err: (e as Error).message }, 'liveness sweep failed'),
      );
    }, intervalMs);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** How many instances are connected now, on WireGuard or a stream session (the metrics' gauge). */
  countConnected(): Promise<number> {
    return this.sweep();
  }

  private async readHandshakes(options: { fresh?: boolean } = {}): Promise<void> {
    const n = ++this.reads;
    const handshakes = await latestHandshakes(this.deps.wireguard, options);
    if (n < this.appliedRead) return;
    this.appliedRead = n;
    this.handshakes = handshakes;
  }

  private publish(instanceId: string, connected: boolean): void {
    const before = this.published.get(instanceId);
    this.published.set(instanceId, connected);
    // Unknown means no route was computed for it yet: the route table's own load covers it.
    if (before !== undefined && before !== connected) {
      this.deps.events.emit('instance-changed', { instanceId });
    }
  }
}
