// Over 400 lines on purpose: one proxy whose HTTP, upgrade and stream-session paths share its
// timeouts, error pages and header rules; split up, those rules would live in several places.
import { once } from 'node:events';
import http, { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream';
import { ConfigError, type EdgeTimeouts } from '../config/config.js';
import { hasBody } from '../http/body.js';
import { answerParserRefusals, parserRefusal } from '../http/parserRefusals.js';
import type { Logger } from '../logging/logger.js';
import {
  forwardOverStream,
  forwardWebSocketOverStream,
  streamRequestHeaders,
  type StreamPaths,
  WEBSOCKET_CONNECT,
} from '../streamTransport/streamForward.js';
import {
  offlinePage,
  requestErrorPage,
  timeoutPage,
  unknownHostPage,
  type EdgePage,
} from './pages.js';
import {
  isHopByHop,
  requestTarget,
  upstreamRequestHeaders,
  withoutHopByHop,
  type ForwardingContext,
  type RequestTarget,
} from './proxyHeaders.js';
import { hostName, type ResolvedRoute, type RouteTable } from './routeTable.js';
import type { RunningEdge } from './runningEdge.js';

export interface BuiltinEdgeOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  routes: Pick<RouteTable, 'resolve' | 'size'>;
  /** The stream transport's sessions: a host whose instance has one goes over it first. */
  streams?: StreamPaths;
  timeouts: EdgeTimeouts;
  /** `RELAY_TRUST_PROXY`: append to X-Forwarded-* from a proxy in front instead of replacing. */
  trustProxy: boolean;
  /**
   * This is `EDGE_MODE=caddy`'s stream listener: its requests come from the relay's own Caddy,
   * whose X-Forwarded-For/-Proto/-Host are kept as the client's and to which nothing is
   * appended (see ForwardingContext.ownFront); `trustProxy` is then implied.
   */
  ownFront?: boolean;
  logger: Logger;
  /**
   * How long a client may take to send its request line and headers before it gets a 408
   * (slow-header clients hold connections open). Default: the idle timeout plus a second, at
   * most 60 s.
   */
  headersTimeoutMs?: number;
  /** How long a pooled app connection may sit idle before the edge closes it. Default 1.5 s. */
  poolIdleMs?: number;
}

type UpstreamFailure =
  'connect-timeout' | 'response-timeout' | 'idle-timeout' | 'connect-failed' | 'closed';

class UpstreamError extends Error {
  constructor(readonly failure: UpstreamFailure) {
    super(failure);
  }
}

const RETRYABLE = new Set(['ECONNRESET', 'EPIPE']);
/**
 * Methods the edge may send again by itself (RFC 9110 §9.2.2: a proxy must not retry a
 * non-idempotent request): the app may have acted on a POST before its connection went.
 */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** What the edge answers when Node's parser refuses a request (the API reads the same table). */
function parserErrorPage(code: string | undefined): EdgePage {
  const { status, message } = parserRefusal(code).edge;
  return requestErrorPage(status, message);
}

/** An edge page written straight onto a socket (404/502 before an upgrade). */
function writeRawPage(socket: Duplex, page: EdgePage) {
  const head = [`HTTP/1.1 ${page.status} ${STATUS_CODES[page.status] ?? ''}`];
  for (const [k, v] of Object.entries(page.headers)) head.push(`${k}: ${v}`);
  head.push('connection: close');
  socket.end(`${head.join('\r\n')}\r\n\r\n${page.body}`);
}

/** Status line and headers of an upstream response, for writing onto a raw socket. */
function rawHead(res: IncomingMessage, keep: (name: string) => boolean, extra: string[] = []) {
  const lines = [`HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ''}`];
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    const name = res.rawHeaders[i] as string;
    if (keep(name.toLowerCase())) lines.push(`${name}: ${res.rawHeaders[i + 1] as string}`);
  }
  return `${[...lines, ...extra].join('\r\n')}\r\n\r\n`;
}

/** The edge's HTTP server with its limits: strict parsing, header and idle deadlines. */
function edgeServer(options: BuiltinEdgeOptions): http.Server {
  const { timeouts } = options;
  const headersTimeout = options.headersTimeoutMs ?? Math.min(60_000, timeouts.idleMs + 1000);
  const server = http.createServer({
    noDelay: true,
    // Strict parsing whatever NODE_OPTIONS says (--insecure-http-parser): llhttp refusing
    // ambiguous framing is half of what keeps requests from being smuggled to the apps.
    insecureHTTPParser: false,
    // A missing Host is answered by requestTarget with the edge's own 400 page.
    requireHostHeader: false,
    // Node checks header deadlines on this interval (default 30 s): often enough to answer
    // a slow client near its deadline.
    connectionsCheckingInterval: Math.max(50, Math.min(30_000, headersTimeout / 4)),
  });
  server.keepAliveTimeout = timeouts.keepAliveMs;
  server.headersTimeout = headersTimeout;
  // No limit on a whole request: a large upload may take long; idleness is what is cut.
  server.requestTimeout = 0;
  server.timeout = timeouts.idleMs;
  return server;
}

/**
 * The built-in edge (`EDGE_MODE=builtin`): a Node HTTP/1.1 reverse proxy from Host to the
 * instance's tunnel IP and registered port. Keep-alive on both sides (one pooled agent
 * upstream), bodies streamed with backpressure both ways (`pipe`/`pipeline`, nothing
 * buffered), WebSocket and other upgrades spliced as raw sockets, hop-by-hop headers dropped
 * and X-Forwarded-* set, and small branded pages for unknown hosts (404), offline instances
 * (502) and slow apps (504).
 *
 * Node's own http module rather than a proxy library: node-http-proxy is unmaintained since
 * 2020, http-proxy-3 needs Node 22, @fastify/reply-from needs fastify; the proxying itself is
 * a few streams, and owning it keeps the error pages, timeouts and header rules in one place.
 */
export class BuiltinEdge implements RunningEdge {
  readonly mode = 'builtin' as const;
  private readonly agent: http.Agent;
  private readonly upgraded = new Set<Socket | Duplex>();
  private readonly ctx: ForwardingContext;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly options: BuiltinEdgeOptions,
    private readonly server: http.Server,
    /** Where it listens, known once it does: set here, never changed. */
    readonly url: string,
    readonly port: number,
  ) {
    this.ctx = options.ownFront
      ? { proto: 'https', trustProxy: true, ownFront: true }
      : { proto: 'http', trustProxy: options.trustProxy };
    this.agent = new http.Agent({
      keepAlive: true,
      // Idle pooled sockets close before a typical app server drops them (keep-alive timeout:
      // Node's http server 5 s, Apache 5 s, gunicorn 2 s), so the edge rarely writes a request
      // onto a socket the app is closing (a POST there gets 502: it is never resent); Node's
      // agent also honours a shorter `Keep-Alive: timeout=N` hint from the app (less a second).
      // A page's burst of requests still shares connections.
      timeout: options.poolIdleMs ?? 1_500,
      scheduling: 'lifo',
      maxFreeSockets: 256,
    });
    // A response (or one queued for an earlier pipelined request) on the connection: no
    // error answer now, it would land inside it or be taken as its answer.
    answerParserRefusals(server, (err, socket) => writeRawPage(socket, parserErrorPage(err.code)));
    server.on('request', (req, res) => this.handle(req, res));
    server.on('upgrade', (req, socket, head) => this.handleUpgrade(req, socket, head));
  }

  /** Listen on `options.host:options.port`; a port that cannot be had is a ConfigError. */
  static async start(options: BuiltinEdgeOptions): Promise<BuiltinEdge> {
    const server = edgeServer(options);
    server.listen(options.port, options.host);
    try {
      await once(server, 'listening');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new ConfigError(
        'EDGE_PORT',
        `the edge cannot listen on ${options.host}:${options.port} (${code})`,
      );
    }
    // Handlers go on before the event loop turns again, so no connection comes in without them.
    const port = (server.address() as AddressInfo).port;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    const edge = new BuiltinEdge(options, server, `http://${host}:${port}`, port);
    const what = options.ownFront ? 'stream listener for Caddy' : 'built-in proxy';
    options.logger.info({ url: edge.url }, `edge: ${what} listening`);
    return edge;
  }

  async health() {
    if (!this.server.listening || this.closing)
      return { ok: false, detail: 'builtin: not listening' };
    return { ok: true, detail: `builtin on ${this.url}, ${this.options.routes.size} hosts routed` };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = new Promise<void>((r) => this.server.close(() => r()));
      this.server.closeIdleConnections();
      for (const s of this.upgraded) s.destroy();
      const force = setTimeout(() => this.server.closeAllConnections(), 2000);
      await closed;
      clearTimeout(force);
      this.agent.destroy();
    })();
    return this.closing;
  }

  private sendPage(req: IncomingMessage, res: ServerResponse, page: EdgePage, close = false) {
    if (res.headersSent || res.destroyed) return void res.destroy();
    const headers: Record<string, string> = { ...page.headers };
    // An unread request body is not drained for keep-alive: the connection closes instead.
    if (close || (hasBody(req) && !req.complete)) headers.connection = 'close';
    res.writeHead(page.status, headers);
    res.end(req.method === 'HEAD' ? undefined : page.body);
  }

  private handle(req: IncomingMessage, res: ServerResponse) {
    const target = requestTarget(req);
    if (!target.ok) {
      // Its framing is in doubt: nothing more is read from this connection.
      const page = requestErrorPage(400, `Bad request: ${target.reason}.`);
      return this.sendPage(req, res, page, true);
    }
    const route = this.options.routes.resolve(target.host);
    if (!route) return this.sendPage(req, res, unknownHostPage(hostName(target.host)));
    if (this.forwardOverStream(req, res, target, route)) return;
    if (!route.upstream) return this.sendPage(req, res, offlinePage(route.host));
    this.forward(req, res, target, route, route.upstream, 0);
  }

  /** Send the request over a stream session of the route's instance; false when it has none. */
  private forwardOverStream(
    req: IncomingMessage,
    res: ServerResponse,
    target: RequestTarget,
    route: ResolvedRoute,
  ) {
    const { streams, timeouts, logger } = this.options;
    const id = route.instance.instanceId;
    // Most instances have no session: no HTTP/2 headers are built for them.
    if (!streams?.has(id)) return false;
    return forwardOverStream(
      // The edge's framing decides whether a body follows (Node would end any GET at once).
      streams.open(id, streamRequestHeaders(req, this.ctx, target), {
        endStream: target.framing.kind === 'none',
      }),
      req,
      res,
      { timeouts, target },
      (failure, code) => {
        logger.debug({ host: route.host, instance_id: id, failure, code }, 'edge: stream failed');
        this.sendPage(req, res, (failure === 'timeout' ? timeoutPage : offlinePage)(route.host));
      },
    );
  }

  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    target: RequestTarget,
    route: ResolvedRoute,
    upstream: { host: string; port: number },
    attempt: number,
  ) {
    const { connectMs, responseMs, idleMs } = this.options.timeouts;
    const bodyless = target.framing.kind === 'none';
    const up = http.request({
      host: upstream.host,
      port: upstream.port,
      method: req.method,
      path: target.path,
      headers: upstreamRequestHeaders(req, this.ctx, target),
      agent: this.agent,
    });
    let connectTimer: NodeJS.Timeout | undefined;
    let responseTimer: NodeJS.Timeout | undefined;
    let responded = false;
    const clearTimers = () => {
      clearTimeout(connectTimer);
      clearTimeout(responseTimer);
    };

    up.on('socket', (socket) => {
      if (!socket.connecting) return;
      connectTimer = setTimeout(() => up.destroy(new UpstreamError('connect-timeout')), connectMs);
      socket.once('connect', () => clearTimeout(connectTimer));
    });
    up.setTimeout(idleMs, () => up.destroy(new UpstreamError('idle-timeout')));
    // The app has until responseMs after the whole request went out (a long upload is fine).
    up.on('finish', () => {
      if (!responded) {
        responseTimer = setTimeout(
          () => up.destroy(new UpstreamError('response-timeout')),
          responseMs,
        );
      }
    });

    up.on('response', (upRes) => {
      responded = true;
      clearTimers();
      if (res.destroyed) return void upRes.destroy();
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, withoutHopByHop(upRes.headers));
      pipeline(upRes, res, (err) => {
        if (err) up.destroy();
      });
    });

    up.on('error', (err: NodeJS.ErrnoException) => {
      clearTimers();
      if (responded || res.destroyed) return void res.destroy();
      // A pooled connection the app closed meanwhile: safe to send a bodiless idempotent
      // request again (a body is already consumed; a POST may have been acted on).
      if (
        attempt === 0 &&
        bodyless &&
        IDEMPOTENT.has(req.method ?? '') &&
        up.reusedSocket &&
        RETRYABLE.has(err.code ?? '')
      ) {
        return this.forward(req, res, target, route, upstream, attempt + 1);
      }
      req.unpipe(up);
      const failure =
        err instanceof UpstreamError ? err.failure : err.code ? 'connect-failed' : 'closed';
      this.options.logger.debug(
        { host: route.host, instance_id: route.instance.instanceId, failure, code: err.code },
        'edge: upstream failed',
      );
      const timedOut = failure === 'response-timeout' || failure === 'idle-timeout';
      this.sendPage(req, res, timedOut ? timeoutPage(route.host) : offlinePage(route.host));
    });

    // The client went away: stop the upstream side too (no half-finished transfer lingers).
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });

    if (bodyless) up.end();
    else req.pipe(up);
  }

  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer) {
    socket.on('error', () => socket.destroy());
    // The same rules as for any request; the edge sends no body with an upgrade request.
    const target = requestTarget(req, { upgrade: true });
    if (!target.ok) {
      return writeRawPage(socket, requestErrorPage(400, `Bad request: ${target.reason}.`));
    }
    const route = this.options.routes.resolve(target.host);
    if (!route) return writeRawPage(socket, unknownHostPage(hostName(target.host)));
    const { streams } = this.options;
    const id = route.instance.instanceId;
    if (
      streams?.has(id) &&
      forwardWebSocketOverStream(
        () => streams.open(id, streamRequestHeaders(req, this.ctx, target, WEBSOCKET_CONNECT)),
        req,
        socket,
        head,
        () => writeRawPage(socket, offlinePage(route.host)),
      )
    )
      return;
    if (!route.upstream) return writeRawPage(socket, offlinePage(route.host));
    const up = http.request({
      host: route.upstream.host,
      port: route.upstream.port,
      method: req.method,
      path: target.path,
      headers: upstreamRequestHeaders(req, this.ctx, target),
      // An upgraded connection never goes back to a pool.
      agent: false,
    });
    const connectTimer = setTimeout(
      () => up.destroy(new UpstreamError('connect-timeout')),
      this.options.timeouts.connectMs,
    );
    const responseTimer = setTimeout(
      () => up.destroy(new UpstreamError('response-timeout')),
      this.options.timeouts.connectMs + this.options.timeouts.responseMs,
    );
    up.on('socket', (s) => s.once('connect', () => clearTimeout(connectTimer)));
    const done = () => {
      clearTimeout(connectTimer);
      clearTimeout(responseTimer);
    };

    up.on('upgrade', (upRes, upSocket, upHead) => {
      done();
      if (socket.destroyed) return void upSocket.destroy();
      socket.write(rawHead(upRes, (n) => n === 'upgrade' || n === 'connection' || !isHopByHop(n)));
      if (upHead.length) socket.write(upHead);
      if (head.length) upSocket.write(head);
      for (const s of [socket, upSocket] as const) {
        this.upgraded.add(s);
        if ('setTimeout' in s) (s as Socket).setTimeout(0);
        s.once('close', () => {
          this.upgraded.delete(s);
          socket.destroy();
          upSocket.destroy();
        });
        s.on('error', () => s.destroy());
      }
      upSocket.setNoDelay(true);
      upSocket.pipe(socket);
      socket.pipe(upSocket);
    });

    // The app answered without upgrading: relay that answer and close.
    up.on('response', (upRes) => {
      done();
      socket.write(rawHead(upRes, (n) => !isHopByHop(n), ['connection: close']));
      pipeline(upRes, socket, () => socket.destroy());
    });

    up.on('error', (err: NodeJS.ErrnoException) => {
      done();
      if (socket.destroyed) return;
      const timedOut = err instanceof UpstreamError && err.failure === 'response-timeout';
      this.options.logger.debug(
        { host: route.host, instance_id: route.instance.instanceId, code: err.code ?? err.message },
        'edge: upgrade upstream failed',
      );
      writeRawPage(socket, timedOut ? timeoutPage(route.host) : offlinePage(route.host));
    });
    socket.once('close', () => up.destroy());
    up.end();
  }
}
