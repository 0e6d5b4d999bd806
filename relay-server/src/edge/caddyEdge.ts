import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CaddyConfig, EdgeTimeouts } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import type { Store } from '../store/types.js';
import type { StreamPaths } from '../streamTransport/streamForward.js';
import { BuiltinEdge } from './builtinEdge.js';
import { CaddyAdmin } from './caddyAdmin.js';
import { CADDY_SERVER_ID, mergeCaddyConfig, type CaddyEdgeSettings } from './caddyConfig.js';
import { probeCertificate } from './certificateProbe.js';
import type { ResolvedRoute, RouteTable } from './routeTable.js';
import type { RunningEdge } from './runningEdge.js';

export interface CaddyEdgeOptions {
  routes: RouteTable;
  store: Store;
  logger: Logger;
  caddy: CaddyConfig;
  /** Where Caddy's edge server listens (EDGE_HOST / EDGE_PORT). */
  edgeHost: string;
  edgePort: number;
  timeouts: EdgeTimeouts;
  /**
   * The stream transport's sessions: a host whose instance has one goes through Caddy to the
   * stream listener (loopback), before WireGuard. Without them Caddy knows WireGuard only.
   */
  streams?: StreamPaths;
  /** How often to check that Caddy still runs relay-server's server (a restarted Caddy loses it). */
  driftCheckMs?: number;
  /** Waits between certificate probes of a newly verified domain; the last one repeats. */
  probeDelaysMs?: number[];
}

interface CertWatch {
  attempt: number;
  timer: NodeJS.Timeout | null;
}

const DEFAULT_PROBE_DELAYS_MS = [250, 1000, 2000, 5000, 10_000, 30_000, 60_000, 300_000];
const ANY_ADDRESS = new Set(['0.0.0.0', '::', '']);
/** The stream listener's address: Caddy runs beside the relay, nothing else may reach it. */
const STREAM_LISTENER_HOST = '127.0.0.1';

/**
 * The routes as the stream listener sees them: no WireGuard upstream, so a request there goes
 * over its instance's stream session or gets the offline page, and an unknown host the 404
 * page. The listener dials nothing itself: it can never be made a proxy to anywhere else.
 */
function streamOnly(routes: RouteTable): Pick<RouteTable, 'resolve' | 'size'> {
  return {
    resolve(host) {
      const r = routes.resolve(host);
      return r && { ...r, upstream: null, instance: { ...r.instance, upstream: null } };
    },
    get size() {
      return routes.size;
    },
  };
}

/**
 * `EDGE_MODE=caddy`: Caddy terminates TLS and proxies; relay-server programs it through the
 * admin API (read the running config with its hash, put relay-server's server and TLS policy
 * in, write it back with If-Match, so the operator's own config survives) after every routing
 * change, and serves on-demand TLS's `ask` on an internal listener from the route table.
 * After a custom domain is verified it probes the edge for the domain's certificate and sets
 * `ssl_status: active` once a client gets one.
 *
 * Stream-carried instances: with `streams`, a BuiltinEdge runs on loopback as the stream
 * listener (only its stream path: see streamOnly), and Caddy sends the hosts of an instance
 * with a live stream session there. A session's first open and last close emit
 * `instance-changed`, which re-programs Caddy like any routing change.
 */
export class CaddyEdge implements RunningEdge {
  readonly mode = 'caddy' as const;
  readonly admin: CaddyAdmin;
  readonly settings: CaddyEdgeSettings;
  private readonly askServer: http.Server;
  private dirty = false;
  private loop: Promise<void> | null = null;
  private lastError: string | null = null;
  private programmedHosts = 0;
  /** Instances Caddy was last told are on a stream session. */
  private programmedStreams = new Set<string>();
  private streamListener: BuiltinEdge | null = null;
  private closed = false;
  private driftTimer: NodeJS.Timeout | null = null;
  private readonly certs = new Map<string, CertWatch>();
  private unsubscribe: () => void = () => {};
  private readonly probeHost: string;
  readonly url: string;
  readonly port: number;

  private constructor(private readonly options: CaddyEdgeOptions) {
    this.admin = new CaddyAdmin(options.caddy.admin);
    const listenHost = ANY_ADDRESS.has(options.edgeHost)
      ? ''
      : options.edgeHost.includes(':')
        ? `[${options.edgeHost}]`
        : options.edgeHost;
    this.probeHost = ANY_ADDRESS.has(options.edgeHost) ? '127.0.0.1' : options.edgeHost;
    this.port = options.edgePort;
    const urlHost = this.probeHost.includes(':') ? `[${this.probeHost}]` : this.probeHost;
    this.url = `https://${urlHost}:${options.edgePort}`;
    this.settings = {
      listen: `${listenHost}:${options.edgePort}`,
      askUrl: '',
      issuer: options.caddy.issuer,
      timeouts: options.timeouts,
      streamListener: null,
    };
    this.askServer = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://ask.invalid');
      if (req.method !== 'GET' || url.pathname !== '/tls-ask') return void res.writeHead(404).end();
      const domain = url.searchParams.get('domain');
      // In-memory lookup only: Caddy calls this during TLS handshakes.
      const allowed = domain !== null && this.options.routes.resolve(domain) !== null;
      res.writeHead(allowed ? 200 : 404, { 'content-type': 'text/plain' });
      res.end(allowed ? 'ok' : 'no such host');
    });
  }

  static async start(options: CaddyEdgeOptions): Promise<CaddyEdge> {
    const edge = new CaddyEdge(options);
    edge.askServer.listen(options.caddy.askPort, options.caddy.askHost);
    await once(edge.askServer, 'listening');
    const { port } = edge.askServer.address() as AddressInfo;
    edge.settings.askUrl = `http://${options.caddy.askHost}:${port}/tls-ask`;
    if (options.streams) {
      try {
        edge.streamListener = await BuiltinEdge.start({
          host: STREAM_LISTENER_HOST,
          port: 0,
          routes: streamOnly(options.routes),
          streams: options.streams,
          timeouts: options.timeouts,
          trustProxy: false,
          ownFront: true,
          logger: options.logger,
        });
      } catch (e) {
        edge.askServer.close();
        throw e;
      }
      edge.settings.streamListener = `${STREAM_LISTENER_HOST}:${edge.streamListener.port}`;
    }
    edge.unsubscribe = options.routes.onChange(() => edge.scheduleSync());
    edge.scheduleSync();
    await edge.settled();
    if (edge.lastError)
      options.logger.error({ err: edge.lastError }, 'edge: Caddy not programmed yet');
    edge.driftTimer = setInterval(() => void edge.checkDrift(), options.driftCheckMs ?? 10_000);
    edge.driftTimer.unref();
    return edge;
  }

  /** Where Caddy asks whether to get a certificate for a name (relay-server's internal listener). */
  get askUrl(): string {
    return this.settings.askUrl;
  }

  /** Resolves once every routing change so far is in Caddy (or failed and was logged). */
  async settled(): Promise<void> {
    await this.options.routes.settled();
    while (this.loop) await this.loop;
  }

  async health() {
    if (this.closed) return { ok: false, detail: 'caddy: edge closed' };
    const present = await this.admin.hasId(CADDY_SERVER_ID);
    if (!present) {
      this.scheduleSync();
      return {
        ok: false,
        detail: `caddy at ${this.admin.address}: routes missing, re-programming`,
      };
    }
    if (this.lastError) return { ok: false, detail: this.lastError };
    const listener = await this.streamListener?.health();
    if (listener && !listener.ok)
      return { ok: false, detail: `stream listener: ${listener.detail}` };
    return {
      ok: true,
      detail: `caddy at ${this.admin.address}: ${this.programmedHosts} hosts on ${this.settings.listen}`,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    if (this.driftTimer) clearInterval(this.driftTimer);
    for (const w of this.certs.values()) if (w.timer) clearTimeout(w.timer);
    this.certs.clear();
    while (this.loop) await this.loop;
    // Caddy keeps serving the last routes while relay-server is away (a restart is seamless);
    // only new certificates wait, since nothing answers `ask`. Stream sessions end with this
    // process, though: their hosts go back to WireGuard or the offline page rather than to a
    // loopback port another process could take meanwhile.
    if (this.programmedStreams.size > 0) {
      await this.pushConfig(new Set()).catch((e: unknown) =>
        this.options.logger.warn(
          { err: (e as Error).message },
          'edge: could not take stream routes out of Caddy',
        ),
      );
    }
    await this.streamListener?.close();
    await new Promise<void>((r) => this.askServer.close(() => r()));
    this.askServer.closeAllConnections();
  }

  private scheduleSync() {
    if (this.closed) return;
    this.dirty = true;
    this.loop ??= this.runLoop().finally(() => {
      this.loop = null;
      if (this.dirty) this.scheduleSync();
    });
  }

  private async runLoop() {
    // Coalesce a burst of events (deleting an instance changes several hosts) into one load.
    await new Promise((r) => setTimeout(r, 20));
    while (this.dirty && !this.closed) {
      this.dirty = false;
      try {
        await this.pushConfig();
      } catch (e) {
        this.lastError = (e as Error).message;
        this.options.logger.warn({ err: this.lastError }, 'edge: programming Caddy failed');
      }
    }
  }

  /** Which instances are on a stream session now (asked at each load, never cached). */
  private streamingNow(routes: ResolvedRoute[]): Set<string> {
    const { streams } = this.options;
    const ids = new Set<string>();
    for (const r of routes) if (streams?.has(r.instance.instanceId)) ids.add(r.instance.instanceId);
    return ids;
  }

  private async pushConfig(onStream?: Set<string>) {
    const routes = this.options.routes.hosts();
    const streaming = onStream ?? this.streamingNow(routes);
    for (let i = 0; i < 5; i++) {
      const { config, etag } = await this.admin.getConfig();
      const next = mergeCaddyConfig(config, routes, this.settings, streaming);
      if (await this.admin.replaceConfig(next, etag)) {
        if (this.lastError) this.options.logger.info('edge: Caddy programmed again');
        this.lastError = null;
        this.programmedHosts = routes.length;
        this.programmedStreams = streaming;
        this.options.logger.debug(
          { hosts: routes.length, on_stream: streaming.size },
          'edge: Caddy programmed',
        );
        // The last load at close takes stream routes out; no probe starts after it.
        if (!this.closed) this.watchCertificates(routes);
        return;
      }
    }
    throw new Error('Caddy config changed under relay-server five times in a row');
  }

  private async checkDrift() {
    if (this.closed || this.loop) return;
    try {
      if (this.lastError || !(await this.admin.hasId(CADDY_SERVER_ID))) this.scheduleSync();
    } catch (e) {
      this.lastError = (e as Error).message;
    }
  }

  /** Start probing newly routed custom domains; forget the ones that no longer route. */
  private watchCertificates(routes: ResolvedRoute[]) {
    const custom = new Set(routes.filter((r) => r.kind === 'custom').map((r) => r.host));
    for (const [domain, w] of this.certs) {
      if (custom.has(domain)) continue;
      if (w.timer) clearTimeout(w.timer);
      this.certs.delete(domain);
    }
    for (const domain of custom) {
      if (this.certs.has(domain)) continue;
      const w: CertWatch = { attempt: 0, timer: null };
      this.certs.set(domain, w);
      this.scheduleProbe(domain, w, 0);
    }
  }

  private scheduleProbe(domain: string, w: CertWatch, delayMs: number) {
    w.timer = setTimeout(() => void this.probe(domain, w), delayMs);
    w.timer.unref();
  }

  private async probe(domain: string, w: CertWatch) {
    w.timer = null;
    const current = () => !this.closed && this.certs.get(domain) === w;
    const record = await this.options.store.domains.get(domain);
    if (!current() || !record || record.status !== 'verified' || record.sslStatus === 'active')
      return;
    const result = await probeCertificate(domain, {
      host: this.probeHost,
      port: this.options.edgePort,
      verifyChain: this.options.caddy.issuer === 'acme',
    });
    if (!current()) return;
    if (result.ok) {
      const still = await this.options.store.domains.get(domain);
      if (still?.status === 'verified') {
        await this.options.store.domains.update(domain, { sslStatus: 'active' });
        this.options.logger.info(
          { domain, valid_to: result.validTo.toISOString() },
          'edge: certificate active',
        );
      }
      return;
    }
    const delays = this.options.probeDelaysMs ?? DEFAULT_PROBE_DELAYS_MS;
    const delay = delays[Math.min(w.attempt, delays.length - 1)] ?? 60_000;
    w.attempt++;
    this.options.logger.debug(
      { domain, reason: result.reason, next_ms: delay },
      'edge: no certificate yet',
    );
    this.scheduleProbe(domain, w, delay);
  }
}
