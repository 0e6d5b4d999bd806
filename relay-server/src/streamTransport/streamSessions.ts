import type { ClientHttp2Session, ClientHttp2Stream, OutgoingHttpHeaders } from 'node:http2';
import {
  STREAM_PING_DEADLINE_MS,
  STREAM_PING_INTERVAL_MS,
  STREAM_SESSIONS_PER_AGENT,
} from '@cloud-connect/agent-core/api';
import type { Clock, TimerHandle, Timers } from '../clock.js';
import type { RelayEvents } from '../events.js';
import type { Logger } from '../logging/logger.js';
import { heartbeatAlive } from '../presenters/instance.js';
import type { TunnelTiming } from '../services.js';
import type { Store } from '../store/types.js';

/**
 * Sessions an instance may hold at once: the agent keeps STREAM_SESSIONS_PER_AGENT, a few more
 * cover a reconnect that arrives before the relay noticed the old session died. Past this the
 * oldest goes, so a looping agent never piles sessions up.
 */
export const MAX_SESSIONS_PER_INSTANCE = STREAM_SESSIONS_PER_AGENT + 2;

/** One agent session: the HTTP/2 client side the relay holds over an upgraded socket. */
interface LiveSession {
  readonly instanceId: string;
  /** The instance's token id when the session was opened: a newer one closes it. */
  readonly tokenId: string;
  readonly http2: ClientHttp2Session;
  /**
   * Drops the session STREAM_PING_DEADLINE_MS after its last ping answer (or its start); each
   * answer sets it again. Null once the session left the registry.
   */
  deadline: TimerHandle | null;
}

/**
 * Instance id → its live stream sessions. Edge requests are spread over them round-robin;
 * liveness is measured through each session (an HTTP/2 PING every STREAM_PING_INTERVAL_MS, one
 * timer ticking for all of them; a session with no answer for STREAM_PING_DEADLINE_MS is
 * closed by its own deadline timer, so a silent one goes 10 s after its last answer whatever
 * the phase of the tick); a regenerated token or a deleted instance
 * closes its sessions as soon as the relay's `instance-changed` event is handled.
 */
export class StreamSessions {
  private readonly byInstance = new Map<string, LiveSession[]>();
  private readonly turn = new Map<string, number>();
  /** Each instance's latest status write, so its writes land in the order sessions came and went. */
  private readonly writes = new Map<string, Promise<void>>();
  private readonly pinger: TimerHandle;
  private readonly onInstance = ({ instanceId }: { instanceId: string }) =>
    void this.recheck(instanceId);

  constructor(
    private readonly deps: {
      store: Store;
      events: RelayEvents;
      clock: Clock;
      timers: Timers;
      logger: Logger;
      /** The heartbeat window: whether a WireGuard agent of the instance is alive too. */
      timing: Pick<TunnelTiming, 'heartbeatIntervalSeconds' | 'missedHeartbeats'>;
    },
  ) {
    this.pinger = deps.timers.setInterval(() => this.pingAll(), STREAM_PING_INTERVAL_MS);
    this.pinger.unref();
    deps.events.on('instance-changed', this.onInstance);
  }

  /** Take a session the upgrade handler opened; it leaves the registry when it closes. */
  add(instanceId: string, tokenId: string, http2: ClientHttp2Session): void {
    const session: LiveSession = { instanceId, tokenId, http2, deadline: null };
    this.answered(session);
    const list = this.byInstance.get(instanceId) ?? [];
    list.push(session);
    this.byInstance.set(instanceId, list);
    http2.once('close', () => this.remove(session));
    // An error closes the session too ('close' follows); it is only noted here.
    http2.on('error', (e: NodeJS.ErrnoException) =>
      this.deps.logger.debug({ instance_id: instanceId, code: e.code }, 'stream session failed'),
    );
    while (list.length > MAX_SESSIONS_PER_INSTANCE) this.closeSession(list[0] as LiveSession);
    // Its first session: the agent and its data path just came up (liveness and the edge follow).
    if (list.length === 1) this.record(instanceId, 'opened');
    this.deps.logger.info(
      { instance_id: instanceId, sessions: list.length },
      'stream session opened',
    );
    // A token regenerated between the check and now: the event came before this session.
    void this.recheck(instanceId);
  }

  /** Live sessions of an instance. */
  count(instanceId: string): number {
    return this.byInstance.get(instanceId)?.length ?? 0;
  }

  /** Live sessions of every instance together (the metrics' gauge). */
  total(): number {
    let n = 0;
    for (const list of this.byInstance.values()) n += list.length;
    return n;
  }

  /** The instances that hold a live session now. */
  instanceIds(): string[] {
    return [...this.byInstance.keys()];
  }

  /** Whether the instance has a live stream session (the edge's routing question). */
  has(instanceId: string): boolean {
    return this.count(instanceId) > 0;
  }

  /**
   * Open one stream (one edge request) on the instance's next live session, round-robin; null
   * when it has none. The headers are HTTP/2's: pseudo-headers and no connection-specific ones.
   * `endStream` is the caller's framing decision: Node's own default ends every GET, HEAD and
   * DELETE at once, which would drop the body of one that has one.
   */
  open(
    instanceId: string,
    headers: OutgoingHttpHeaders | readonly string[],
    options: { endStream?: boolean } = {},
  ): ClientHttp2Stream | null {
    const list = this.byInstance.get(instanceId);
    if (!list || list.length === 0) return null;
    const n = this.turn.get(instanceId) ?? 0;
    this.turn.set(instanceId, n + 1);
    for (let i = 0; i < list.length; i++) {
      const session = list[(n + i) % list.length] as LiveSession;
      if (session.http2.closed || session.http2.destroyed) continue;
      return session.http2.request(headers, options);
    }
    return null;
  }

  /** Close every session of an instance now (token regenerated, instance deleted). */
  closeInstance(instanceId: string): void {
    for (const session of [...(this.byInstance.get(instanceId) ?? [])]) this.closeSession(session);
  }

  /**
   * Stop pinging, stop following events and close every session; resolves once the store
   * records them gone (the relay closes its store after this).
   */
  async close(): Promise<void> {
    this.deps.timers.clearInterval(this.pinger);
    this.deps.events.off('instance-changed', this.onInstance);
    for (const id of [...this.byInstance.keys()]) this.closeInstance(id);
    await Promise.all(this.writes.values());
  }

  private closeSession(session: LiveSession): void {
    this.remove(session);
    session.http2.destroy();
  }

  private remove(session: LiveSession): void {
    const list = this.byInstance.get(session.instanceId);
    const at = list?.indexOf(session) ?? -1;
    if (!list || at === -1) return;
    list.splice(at, 1);
    this.deps.timers.clearTimeout(session.deadline);
    session.deadline = null;
    if (list.length === 0) {
      this.byInstance.delete(session.instanceId);
      this.turn.delete(session.instanceId);
      this.record(session.instanceId, 'closed');
    }
    this.deps.logger.info(
      { instance_id: session.instanceId, sessions: list.length },
      'stream session closed',
    );
  }

  /**
   * A stream agent neither registers nor heartbeats: while it holds a session, liveness reads
   * that session. The store records only what must outlast it — an instance that had a session
   * is no longer `pending`, and when its last session goes that is when it was last seen — and
   * never writes `connected`, so a relay that crashes with live sessions leaves nothing stale,
   * and a heartbeating WireGuard agent of the same instance keeps its own state (its heartbeats
   * own `lastSeen`). A `connected` left by a WireGuard agent that stopped heartbeating becomes
   * `disconnected` with the new last seen, which would otherwise make it look alive again.
   * The edge and liveness are told once the write landed, so nothing re-reads the record
   * before it says so.
   */
  private record(instanceId: string, change: 'opened' | 'closed'): void {
    const { store, clock, events, logger, timing } = this.deps;
    const before = this.writes.get(instanceId) ?? Promise.resolve();
    const write = before
      .then(async () => {
        if (change === 'closed') {
          const now = clock.now();
          const i = await store.instances.get(instanceId);
          if (!i || heartbeatAlive(i, now, timing)) return;
          await store.instances.update(instanceId, {
            lastSeen: now.toISOString(),
            ...(i.status === 'connected' ? { status: 'disconnected' as const } : {}),
          });
        } else if ((await store.instances.get(instanceId))?.status === 'pending') {
          await store.instances.update(instanceId, { status: 'disconnected' });
        }
      })
      .catch((e: Error) =>
        logger.warn(
          { instance_id: instanceId, err: e.message },
          'could not record the stream session state',
        ),
      )
      .finally(() => {
        if (this.writes.get(instanceId) === write) this.writes.delete(instanceId);
        events.emit('instance-changed', { instanceId });
      });
    this.writes.set(instanceId, write);
  }

  /** Close the sessions whose token is no longer the instance's (or whose instance is gone). */
  private async recheck(instanceId: string): Promise<void> {
    if (!this.byInstance.has(instanceId)) return;
    const instance = await this.deps.store.instances.get(instanceId).catch(() => undefined);
    for (const session of [...(this.byInstance.get(instanceId) ?? [])]) {
      if (!instance || instance.tokenId !== session.tokenId) this.closeSession(session);
    }
  }

  private pingAll(): void {
    for (const list of [...this.byInstance.values()]) {
      for (const session of [...list]) this.ping(session);
    }
  }

  private ping(session: LiveSession): void {
    try {
      session.http2.ping((err) => {
        if (!err && session.deadline) this.answered(session);
      });
    } catch {
      // Too many pings outstanding or the session is closing: the deadline runs on.
    }
  }

  /** The session answered a ping (or came up): STREAM_PING_DEADLINE_MS until it must again. */
  private answered(session: LiveSession): void {
    const { timers, logger } = this.deps;
    timers.clearTimeout(session.deadline);
    session.deadline = timers.setTimeout(() => {
      logger.info(
        { instance_id: session.instanceId, deadline_ms: STREAM_PING_DEADLINE_MS },
        'stream session dropped: no ping answer',
      );
      this.closeSession(session);
    }, STREAM_PING_DEADLINE_MS);
    session.deadline.unref();
  }
}
