import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DestinationStream } from 'pino';
import { createApp } from './app.js';
import { createBilling } from './billing/billing.js';
import { systemClock, systemTimers, type Clock, type Timers } from './clock.js';
import { apiUrl, type Config } from './config/config.js';
import { prepareDataDir } from './config/dataDir.js';
import { loadOrCreateRelaySecret } from './config/relaySecret.js';
import { createCnameResolver } from './dns/cnameResolver.js';
import { NO_EDGE, startEdge, type Edge } from './edge/edge.js';
import { startReverification, type Reverification } from './edge/reverification.js';
import { RelayEvents } from './events.js';
import { instanceTokenCheck } from './http/auth.js';
import { answerProtocolErrors } from './http/protocolErrors.js';
import { DEFAULT_RATE_LIMITS, RateLimits, type RateLimitConfig } from './http/rateLimit.js';
import { LivenessWatch } from './liveness/livenessWatch.js';
import { createLogger } from './logging/logger.js';
import { outboxMailer, smtpMailer } from './mail/mailer.js';
import { Metrics } from './metrics/metrics.js';
import { argon2Hasher } from './passwords/passwords.js';
import type { Services, TunnelTiming } from './services.js';
import { LowdbStore, type LowdbStoreOptions } from './store/lowdbStore.js';
import { StreamSessions } from './streamTransport/streamSessions.js';
import { isStreamUpgrade, streamUpgradeHandler } from './streamTransport/streamUpgrade.js';
import { TokenService } from './tokens/tokens.js';
import { createWireGuardServer } from './wireguard/createWireGuardServer.js';
import { loadOrCreateServerKey } from './wireguard/keys.js';

export interface RelayOptions {
  /**
   * The relay's time: tokens, billing's webhook check, liveness, the store's snapshots and
   * expiry, every command. `services.clock`, if set, is the same thing and wins.
   */
  clock?: Clock;
  /** Scheduling of the stream sessions' pings (tests pass a manual clock). */
  timers?: Timers;
  logDestination?: DestinationStream;
  rateLimits?: Partial<RateLimitConfig>;
  timing?: Partial<TunnelTiming>;
  /** Options of the LowdbStore on the data dir (unused when `services.store` is passed). */
  store?: LowdbStoreOptions;
  checkResponses?: boolean;
  /**
   * Replace single services (tests use this sparingly; the defaults are the real ones). What
   * is passed is used everywhere in the graph and its default is never built: a store passed
   * in means no LowdbStore is opened and the data dir is not locked. The relay owns what it
   * is given: close() closes the store, WireGuard and the mailer, passed in or not. The config
   * is not one of them: it is the `config` argument, which the services are built from.
   */
  services?: Partial<Omit<Services, 'config'>>;
}

export interface RunningRelay {
  url: string;
  port: number;
  services: Services;
  server: Server;
  /** The route table and the edge proxy `EDGE_MODE` asked for. */
  edge: Edge;
  /** The agents' live stream sessions (the stream transport's data path). */
  streams: StreamSessions;
  reverification: Reverification;
  close(): Promise<void>;
}

/**
 * What a start has opened so far (store, WireGuard, mailer, edge, the listening socket…),
 * each with its close. A failed start and the relay's close() both close it all, newest first,
 * so nothing opened before the failure is left running.
 */
class Started {
  readonly #closers: (() => Promise<void> | void)[] = [];

  add(close: () => Promise<void> | void): void {
    this.#closers.push(close);
  }

  /** Close everything, newest first; each close runs even if one before it fails. */
  async closeAll(): Promise<void> {
    const failures: unknown[] = [];
    for (const close of this.#closers.splice(0).reverse()) {
      try {
        await close();
      } catch (e) {
        failures.push(e);
      }
    }
    if (failures.length > 0) throw failures[0];
  }

  /** Run `step`; if it throws, close what was started and throw the step's error. */
  async orCloseAll<T>(step: () => Promise<T> | T): Promise<T> {
    try {
      return await step();
    } catch (e) {
      // The step's error is the one to report; a close failing after it would only hide it.
      await this.closeAll().catch(() => undefined);
      throw e;
    }
  }
}

/** Every service but the edge's health, which only a started edge can report. */
type ServicesBeforeEdge = Omit<Services, 'edgeHealth' | 'streams'> & { streams: StreamSessions };

/**
 * Build the services the edge and the API share from the config, in dependency order: clock
 * and logger, the data dir and its secret, the store, WireGuard (reconciled with that store),
 * then what reads them. Each override in `options.services` replaces its default before
 * anything that depends on it is built.
 */
async function buildServicesBeforeEdge(
  config: Config,
  options: RelayOptions,
  started: Started,
): Promise<ServicesBeforeEdge> {
  return started.orCloseAll(() => buildAndRegister(config, options, started));
}

/** The body of `buildServicesBeforeEdge`: each service that needs closing goes on `started`. */
async function buildAndRegister(
  config: Config,
  options: RelayOptions,
  started: Started,
): Promise<ServicesBeforeEdge> {
  const given = options.services ?? {};
  const clock = given.clock ?? options.clock ?? systemClock;
  const now = () => clock.now();
  const logger = given.logger ?? createLogger(config.logLevel, options.logDestination);
  await prepareDataDir(config.dataDir);
  const tokens =
    given.tokens ??
    new TokenService(await loadOrCreateRelaySecret(config.dataDir, config.secret), now);
  const store = given.store ?? (await LowdbStore.open(config.dataDir, { clock, ...options.store }));
  started.add(() => store.close());
  const wireguard =
    given.wireguard ??
    (await createWireGuardServer(
      config,
      (await loadOrCreateServerKey(config.dataDir)).publicKey,
      store,
      logger,
    ));
  started.add(() => wireguard.close());
  const timing: TunnelTiming = given.timing ?? {
    heartbeatIntervalSeconds: 60,
    missedHeartbeats: 3,
    livenessSweepSeconds: 5,
    ...options.timing,
  };
  const events = given.events ?? new RelayEvents();
  const streams = new StreamSessions({
    store,
    events,
    clock,
    timers: options.timers ?? systemTimers,
    logger,
    timing,
  });
  started.add(() => streams.close());
  const liveness =
    given.liveness ??
    new LivenessWatch({ config, store, wireguard, clock, timing, events, logger, streams });
  const mailer =
    given.mailer ??
    (config.smtpUrl
      ? smtpMailer(config.smtpUrl, `Cloud Connect <no-reply@${config.baseDomain}>`, logger)
      : outboxMailer(config.dataDir, logger));
  started.add(() => mailer.close());
  return {
    config,
    store,
    mailer,
    billing: given.billing !== undefined ? given.billing : createBilling(config.stripe, now),
    dns: given.dns ?? createCnameResolver(config.dnsServers),
    wireguard,
    clock,
    logger,
    tokens,
    passwords: given.passwords ?? argon2Hasher,
    limits: given.limits ?? new RateLimits({ ...DEFAULT_RATE_LIMITS, ...options.rateLimits }),
    // Counts what the liveness rule says of the store above: the one the API writes to.
    metrics:
      given.metrics ??
      new Metrics(
        () => liveness.countConnected(),
        () => streams.total(),
      ),
    events,
    timing,
    liveness,
    streams,
  };
}

/**
 * Build every service from the config (store on the data dir, keys, mail, Stripe, DNS,
 * WireGuard) for a process without an edge; `startRelay` builds the same graph and starts the
 * edge in it.
 */
export async function buildServices(config: Config, options: RelayOptions = {}): Promise<Services> {
  // No API server here, so no stream sessions to offer (the registry stays empty and unsaid).
  const { streams: _none, ...services } = await buildServicesBeforeEdge(
    config,
    options,
    new Started(),
  );
  return {
    ...services,
    edgeHealth: options.services?.edgeHealth ?? (async () => ({ ...NO_EDGE })),
  };
}

/**
 * The config the API serves with. A port of 0 (pick a free one) becomes the port the API or
 * the edge got, so the links and public URLs the API writes name them; what was built before
 * reads neither, and the caller's config is not written to.
 */
function servingConfig(config: Config, apiPort: number, edge: Edge): Config {
  const defaultPublicUrl = config.publicUrl === apiUrl(config.host, config.port);
  return {
    ...config,
    ...(config.port === 0 && defaultPublicUrl ? { publicUrl: apiUrl(config.host, apiPort) } : {}),
    ...(config.edgePort === 0 && edge.proxy ? { edgePort: edge.proxy.port } : {}),
  };
}

/** Start the Cloud API on `config.host:config.port` (0 picks a free port). */
export async function startRelay(
  config: Config,
  options: RelayOptions = {},
): Promise<RunningRelay> {
  // Every step after the first start runs under orCloseAll: if it throws, what is already
  // open (socket, edge, liveness timer, mailer, WireGuard, store) is closed before the error
  // reaches the caller.
  const started = new Started();
  const shared = await buildServicesBeforeEdge(config, options, started);
  const { streams } = shared;
  const edge = await started.orCloseAll(async () => {
    // Handshakes first, so the edge's first routes already follow the liveness rule.
    await shared.liveness.sweep();
    const edge = await startEdge(shared, streams);
    started.add(() => edge.close());
    return edge;
  });
  // Listen before the app is built: with RELAY_PORT=0 the port is known only now, and the
  // links the API writes name it. No connection is taken before the handlers are on (they go
  // on in this turn of the event loop).
  // Only stream-session upgrades leave the Koa app; any other request is served as before.
  const server = createServer({ shouldUpgradeCallback: isStreamUpgrade });
  await started.orCloseAll(async () => {
    server.listen(config.port, config.host);
    await once(server, 'listening');
    started.add(async () => {
      const closed = new Promise<void>((r) => server.close(() => r()));
      // Upgraded sockets are still the server's connections: end their sessions first.
      await streams.close();
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), 5000);
      await closed;
      clearTimeout(force);
    });
  });
  return started.orCloseAll(() => serve(config, options, { shared, edge, server, started }));
}

/** The started relay's last steps: the services with their serving config, timers, the app. */
function serve(
  config: Config,
  options: RelayOptions,
  {
    shared,
    edge,
    server,
    started,
  }: {
    shared: ServicesBeforeEdge;
    edge: Edge;
    server: Server;
    started: Started;
  },
): RunningRelay {
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as AddressInfo).port;
  const url = apiUrl(config.host, port);
  const services: Services = {
    ...shared,
    config: servingConfig(config, port, edge),
    edgeHealth: options.services?.edgeHealth ?? (() => edge.health()),
  };
  services.liveness.start(services.timing.livenessSweepSeconds * 1000);
  started.add(() => services.liveness.close());
  const reverification = startReverification(services, config.domainReverifyIntervalSeconds);
  started.add(() => reverification.close());
  const app = createApp(services, { checkResponses: options.checkResponses ?? false });
  server.on('request', app.callback());
  server.on(
    'upgrade',
    streamUpgradeHandler({
      checkToken: instanceTokenCheck(services.tokens, services.store),
      admit: (instance) => services.limits.consume('tunnelPerInstance', instance.id),
      sessions: shared.streams,
      logger: services.logger,
    }),
  );
  answerProtocolErrors(server, services.logger);
  services.logger.info(
    {
      url,
      data_dir: config.dataDir,
      mail: services.mailer.kind,
      billing: services.billing ? 'stripe' : 'off',
      wg_mode: config.wgMode,
    },
    'relay-server listening',
  );
  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    services,
    server,
    edge,
    streams: shared.streams,
    reverification,
    close() {
      closing ??= started.closeAll();
      return closing;
    },
  };
}
