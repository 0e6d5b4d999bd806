import { EventEmitter } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import { createServer, type Http2Server, type ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import {
  STREAM_PING_DEADLINE_MS,
  STREAM_PING_INTERVAL_MS,
  STREAM_SESSION_SETTINGS,
  STREAM_SESSION_WINDOW,
  STREAM_SESSIONS_PER_AGENT,
} from '../../api/streamTransport.js';
import { systemClock, systemTimers, type Clock, type Timers } from '../../time/index.js';
import type { DriverEventMap, DriverLogLine, DriverProbe, TunnelDriver } from '../driver.js';
import { backoffDelay, backoffPolicy, type BackoffPolicy } from '../supervisor/backoff.js';
import { TunnelError } from '../tunnelError.js';
import { parseTarget } from '../wireguard/target.js';
import { dialTarget } from '../wireguard/tcpForwarder.js';
import { dialRelay, relayProxy, streamUrl } from './dialRelay.js';
import { forwardStream, type StreamTarget } from './forwardStream.js';
import { sessionTransport } from './sessionTransport.js';

export interface StreamDriverOptions {
  /** The relay's API URL (`RELAY_PUBLIC_URL`), http or https. */
  relayUrl: string;
  /** The instance token; sent only in the upgrade's Authorization header. */
  token: string;
  /** The local app, `http://host:port`: the only place the agent ever dials for a stream. */
  target: string;
  /**
   * HTTP CONNECT proxy to reach the relay through; by default the one the environment names
   * (`HTTPS_PROXY` for an https relay, `NO_PROXY` respected); null for none.
   */
  proxy?: string | null;
  /** CA certificate(s) to trust for an https relay besides the system's (a private CA). */
  ca?: string | Buffer;
  /** Public hostname(s) of the instance, for the status view (the relay routes by them). */
  hostnames?: string[];
  /** Redial policy for a lost session; the supervisor's defaults capped at STREAM_REDIAL_CAP_MS. */
  backoff?: Partial<BackoffPolicy>;
  clock?: Clock;
  timers?: Timers;
  /** Jitter source for the redial delay. */
  random?: () => number;
}

/** One of the agent's sessions, from dial to close. */
interface Slot {
  readonly index: number;
  /** Failed dials since the last session that came up: the backoff exponent. */
  attempt: number;
  dial: AbortController | null;
  socket: Socket | null;
  server: Http2Server | null;
  session: ServerHttp2Session | null;
  pingTimer: ReturnType<Timers['setInterval']> | null;
  /** Drops the session STREAM_PING_DEADLINE_MS after its last ping answer (or its start). */
  deadlineTimer: ReturnType<Timers['setTimeout']> | null;
  redialTimer: ReturnType<Timers['setTimeout']> | null;
  /** Pings sent since the last answer (the status shows it; the deadline drops the session). */
  unanswered: number;
  /** Streams being answered on this session right now. */
  streams: number;
}

/**
 * The longest wait before a lost session is redialled (jitter included): a relay that comes
 * back is reached again within this of listening, not after the supervisor's minute. Growth
 * from 1 s and the reset only once a session answered a ping keep a relay that accepts and
 * drops from being hammered: two sessions at this cap are 30 upgrades a minute, a quarter of
 * the relay's per-instance budget for tunnel calls.
 */
export const STREAM_REDIAL_CAP_MS = 4_000;

/**
 * The stream transport's agent end: keeps STREAM_SESSIONS_PER_AGENT outbound sessions to the
 * relay (an HTTP/1.1 upgrade, then HTTP/2 with the agent as server) and answers every stream
 * the relay opens by dialing the configured target. Needs no privilege: one TCP connection per
 * session, out through whatever lets HTTPS out.
 */
export class StreamDriver implements TunnelDriver {
  readonly kind = 'stream' as const;
  readonly events = new EventEmitter<DriverEventMap>();
  private readonly url: URL;
  private readonly proxy: URL | null;
  private readonly target: StreamTarget;
  private readonly policy: BackoffPolicy;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly random: () => number;
  private slots: Slot[] = [];
  private running = false;
  private agent: http.Agent | null = null;
  private lastError: TunnelError | null = null;
  private lastPingMs: number | null = null;
  private lastEmitted: string | null = null;
  /** The last failure to reach the app that was logged: a down app is told once, not per stream. */
  private lastTargetFailure: string | null = null;

  constructor(private readonly options: StreamDriverOptions) {
    // URL, target and policy throw CONFIG_INVALID here, before anything is started.
    this.url = streamUrl(options.relayUrl);
    this.proxy = relayProxy(this.url, options.proxy);
    const parsed = parseTarget(options.target);
    const protocol = new URL(options.target).protocol;
    if (protocol !== 'http:' && protocol !== 'https:') {
      throw new TunnelError(
        'CONFIG_INVALID',
        `The stream transport carries HTTP: the target must be http:// or https://, got ${protocol}`,
      );
    }
    this.target = { protocol, ...parsed };
    this.policy = backoffPolicy({ capMs: STREAM_REDIAL_CAP_MS, ...options.backoff });
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    this.random = options.random ?? Math.random;
  }

  private log(level: DriverLogLine['level'], message: string) {
    this.events.emit('log', { level, message, at: this.clock.now() });
  }

  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.running = true;
    this.lastError = null;
    this.lastPingMs = null;
    this.lastTargetFailure = null;
    // Keep-alive to the app: a burst of small requests reuses connections instead of
    // opening one per stream. Its scheme is the target's (an http.Agent refuses https).
    this.agent = new (this.target.protocol === 'https:' ? https : http).Agent({ keepAlive: true });
    this.slots = Array.from({ length: STREAM_SESSIONS_PER_AGENT }, (_, index) => ({
      index,
      attempt: 0,
      dial: null,
      socket: null,
      server: null,
      session: null,
      pingTimer: null,
      deadlineTimer: null,
      redialTimer: null,
      unanswered: 0,
      streams: 0,
    }));
    const via = this.proxy ? ` through the proxy at ${this.proxy.origin}` : '';
    this.log('info', `Opening ${this.slots.length} stream sessions to ${this.url.origin}${via}`);
    for (const slot of this.slots) void this.dial(slot);
    return Promise.resolve();
  }

  private async dial(slot: Slot): Promise<void> {
    slot.redialTimer = null;
    const dial = new AbortController();
    slot.dial = dial;
    let socket: Socket;
    try {
      socket = await dialRelay(this.url, {
        token: this.options.token,
        signal: dial.signal,
        proxy: this.proxy,
        ca: this.options.ca,
      });
    } catch (e) {
      if (slot.dial !== dial || !this.running) return;
      slot.dial = null;
      this.failed(slot, TunnelError.from(e, 'UNREACHABLE'));
      return;
    }
    if (slot.dial !== dial || !this.running) {
      socket.destroy();
      return;
    }
    slot.dial = null;
    this.serve(slot, socket);
  }

  /** Run the HTTP/2 server end of a session over the upgraded socket. */
  private serve(slot: Slot, socket: Socket): void {
    const server = createServer({
      settings: STREAM_SESSION_SETTINGS,
      // MB nghttp2 may hold for one session; the per-stream windows keep real use far below.
      maxSessionMemory: 32,
      // The relay may ping as often as it likes; our own pings are counted below.
      maxOutstandingPings: 4,
    });
    slot.socket = socket;
    slot.server = server;
    slot.unanswered = 0;
    slot.streams = 0;
    server.on('session', (session) => {
      slot.session = session;
      session.setLocalWindowSize(STREAM_SESSION_WINDOW);
      session.on('error', (e) => this.log('warn', `Stream session ${slot.index}: ${e.message}`));
      session.on('close', () => this.lost(slot, socket));
    });
    // Set for as long as the driver runs, and a session is served only then.
    const agent = this.agent!;
    server.on('stream', (stream, headers) => {
      slot.streams += 1;
      stream.once('close', () => (slot.streams -= 1));
      forwardStream(stream, headers, this.target, agent, this.onTargetFailure);
    });
    socket.on('close', () => this.lost(slot, socket));
    socket.on('error', () => {});
    // An Http2Server runs a session over any duplex handed to its connection listener; the
    // socket was upgraded by the relay's 101, so there is no listening port of our own.
    server.emit('connection', sessionTransport(socket));
    slot.pingTimer = this.timers.setInterval(() => this.ping(slot), STREAM_PING_INTERVAL_MS);
    this.answered(slot);
    this.log('info', `Stream session ${slot.index} is up`);
    this.lastError = null;
    this.emitProbe();
  }

  /** A stream could not reach the app; logged when the reason changes (as the WireGuard forwarder). */
  private readonly onTargetFailure = (message: string): void => {
    if (message === this.lastTargetFailure) return;
    this.lastTargetFailure = message;
    this.log('warn', message);
  };

  /** Liveness on the data path: a ping every interval; the deadline drops a silent session. */
  private ping(slot: Slot): void {
    const session = slot.session;
    if (!session || session.destroyed) return;
    slot.unanswered += 1;
    const sent = session;
    try {
      sent.ping((error, durationMs) => {
        if (error || slot.session !== sent) return;
        this.answered(slot);
        // Only a session that answered proves the relay well: one that accepts and drops at
        // once must keep backing off, not redial at the first step forever.
        slot.attempt = 0;
        this.lastPingMs = Math.round(durationMs);
      });
    } catch {
      // Too many pings outstanding: the deadline runs on.
    }
  }

  /** The session answered a ping (or came up): STREAM_PING_DEADLINE_MS until it must again. */
  private answered(slot: Slot): void {
    slot.unanswered = 0;
    this.timers.clearTimeout(slot.deadlineTimer);
    slot.deadlineTimer = this.timers.setTimeout(() => {
      slot.deadlineTimer = null;
      this.log(
        'warn',
        `Stream session ${slot.index}: no ping answer in ${STREAM_PING_DEADLINE_MS / 1000} s (${slot.unanswered} pings unanswered): redialling`,
      );
      slot.session?.destroy();
      slot.socket?.destroy();
    }, STREAM_PING_DEADLINE_MS);
  }

  /** A session ended (relay gone, link cut, missed pings): tidy up and redial. */
  private lost(slot: Slot, socket: Socket): void {
    if (slot.socket !== socket) return;
    this.closeSession(slot);
    if (!this.running) return;
    this.log('warn', `Stream session ${slot.index} closed`);
    this.failed(slot, new TunnelError('UNREACHABLE', 'A stream session to the relay closed'));
  }

  /** A dial or session failed: a permanent error ends the tunnel, any other is redialled. */
  private failed(slot: Slot, error: TunnelError): void {
    this.lastError = error;
    if (!error.retryable) {
      this.log('error', error.message);
      this.teardown();
      this.emitProbe();
      this.events.emit('exit', error);
      return;
    }
    // A relay that said when to come back (429 Retry-After) is not asked sooner.
    const retryAfter = Number(error.details?.retry_after_ms ?? 0);
    const delay = Math.max(backoffDelay(slot.attempt, this.policy, this.random), retryAfter);
    slot.attempt += 1;
    this.log('warn', `${error.message}; stream session ${slot.index} redials in ${delay} ms`);
    slot.redialTimer = this.timers.setTimeout(() => void this.dial(slot), delay);
    this.emitProbe();
  }

  private closeSession(slot: Slot): void {
    this.timers.clearInterval(slot.pingTimer);
    slot.pingTimer = null;
    this.timers.clearTimeout(slot.deadlineTimer);
    slot.deadlineTimer = null;
    slot.session?.destroy();
    slot.socket?.destroy();
    slot.server?.close();
    slot.session = null;
    slot.socket = null;
    slot.server = null;
  }

  /** Sessions, dials and timers: all gone, synchronously. */
  private teardown(): void {
    this.running = false;
    for (const slot of this.slots) {
      this.timers.clearTimeout(slot.redialTimer);
      slot.redialTimer = null;
      slot.dial?.abort();
      slot.dial = null;
      this.closeSession(slot);
    }
    this.agent?.destroy();
    this.agent = null;
  }

  stop(): Promise<void> {
    if (!this.running) return Promise.resolve();
    const sockets = this.slots.flatMap((s) => (s.socket ? [s.socket] : []));
    this.teardown();
    this.log('info', 'Stream sessions closed');
    this.emitProbe();
    // Resolve once the sockets are really closed, so "stopped" means no connection left.
    return Promise.all(
      sockets.map((s) =>
        s.closed ? undefined : new Promise<void>((resolve) => s.once('close', () => resolve())),
      ),
    ).then(() => undefined);
  }

  private probe(): DriverProbe {
    const live = this.slots.filter((s) => s.session && !s.session.destroyed);
    return {
      running: this.running,
      connected: this.running && live.length > 0,
      hostnames: this.options.hostnames ?? [],
      error: this.lastError,
      details: {
        sessions: live.length,
        streams_open: live.reduce((n, s) => n + s.streams, 0),
        last_ping_ms: this.lastPingMs,
        pings_unanswered: Math.max(0, ...live.map((s) => s.unanswered)),
      },
    };
  }

  /** Tell listeners when connected/running/error changed, not on every figure. */
  private emitProbe(): void {
    const p = this.probe();
    const key = `${p.running}|${p.connected}|${p.error?.code ?? ''}`;
    if (key === this.lastEmitted) return;
    this.lastEmitted = key;
    this.events.emit('probe', p);
  }

  status(): Promise<DriverProbe> {
    return Promise.resolve(this.probe());
  }

  checkTarget(): Promise<TunnelError | null> {
    return dialTarget(this.target.host, this.target.port);
  }
}
