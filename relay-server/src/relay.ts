import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DestinationStream } from 'pino';
import { createApp } from './app.js';
import { createBilling } from './billing/billing.js';
import { systemClock, type Clock } from './clock.js';
import { apiUrl, type Config } from './config/config.js';
import { prepareDataDir } from './config/dataDir.js';
import { loadOrCreateRelaySecret } from './config/relaySecret.js';
import { createCnameResolver } from './dns/cnameResolver.js';
import { NO_EDGE, startEdge, type Edge } from './edge/edge.js';
import { startReverification, type Reverification } from './edge/reverification.js';
import { RelayEvents } from './events.js';
import { answerProtocolErrors } from './http/protocolErrors.js';
import { DEFAULT_RATE_LIMITS, RateLimits, type RateLimitConfig } from './http/rateLimit.js';
import { LivenessWatch } from './liveness/livenessWatch.js';
import { createLogger } from './logging/logger.js';
import { outboxMailer, smtpMailer } from './mail/mailer.js';
import { Metrics } from './metrics/metrics.js';
import { argon2Hasher } from './passwords/passwords.js';
import type { Services, TunnelTiming } from './services.js';
import { LowdbStore, type LowdbStoreOptions } from './store/lowdbStore.js';
import { TokenService } from './tokens/tokens.js';
import { createWireGuardServer } from './wireguard/createWireGuardServer.js';
import { loadOrCreateServerKey } from './wireguard/keys.js';
import type { WireGuardServer } from './wireguard/server.js';

export interface RelayOptions {
  /**
   * The relay's time: tokens, billing's webhook check, liveness, the store's snapshots and
   * expiry, every command. `services.clock`, if set, is the same thing and wins.
   */
  clock?: Clock;
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
   * is given: close() closes the store, WireGuard and the mailer, passed in or not.
   */
  services?: Partial<Services>;
}

export interface RunningRelay {
  url: string;
  port: number;
  services: Services;
  server: Server;
  /** The route table and the edge proxy `EDGE_MODE` asked for. */
  edge: Edge;
  reverification: Reverification;
  close(): Promise<void>;
}

/** Every service but the edge's health, which only a started edge can report. */
type ServicesBeforeEdge = Omit<Services, 'edgeHealth'>;

/**
 * Build the services the edge and the API share from the config, in dependency order: clock
 * and logger, the data dir and its secret, the store, WireGuard (reconciled with that store),
 * then what reads them. Each override in `options.services` replaces its default before
 * anything that depends on it is built.
 */
async function buildServicesBeforeEdge(
  config: Config,
  options: RelayOptions,
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
  let wireguard: WireGuardServer;
  try {
    wireguard =
      given.wireguard ??
      (await createWireGuardServer(
        config,
        (await loadOrCreateServerKey(config.dataDir)).publicKey,
        store,
        logger,
      ));
  } catch (e) {
    await store.close();
    throw e;
  }
  const timing: TunnelTiming = given.timing ?? {
    heartbeatIntervalSeconds: 60,
    missedHeartbeats: 3,
    livenessSweepSeconds: 5,
    ...options.timing,
  };
  const events = given.events ?? new RelayEvents();
  const liveness =
    given.liveness ??
    new LivenessWatch({ config, store, wireguard, clock, timing, events, logger });
  return {
    config,
    store,
    mailer:
      given.mailer ??
      (config.smtpUrl
        ? smtpMailer(config.smtpUrl, `Cloud Connect <no-reply@${config.baseDomain}>`, logger)
        : outboxMailer(config.dataDir, logger)),
    billing: given.billing !== undefined ? given.billing : createBilling(config.stripe, now),
    dns: given.dns ?? createCnameResolver(config.dnsServers),
    wireguard,
    clock,
    logger,
    tokens,
    passwords: given.passwords ?? argon2Hasher,
    limits: given.limits ?? new RateLimits({ ...DEFAULT_RATE_LIMITS, ...options.rateLimits }),
    // Counts what the liveness rule says of the store above: the one the API writes to.
    metrics: given.metrics ?? new Metrics(() => liveness.countConnected()),
    events,
    timing,
    liveness,
  };
}

/**
 * Build every service from the config (store on the data dir, keys, mail, Stripe, DNS,
 * WireGuard) for a process without an edge; `startRelay` builds the same graph and starts the
 * edge in it.
 */
export async function buildServices(config: Config, options: RelayOptions = {}): Promise<Services> {
  const services = await buildServicesBeforeEdge(config, options);
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
  const shared = await buildServicesBeforeEdge(config, options);
  let edge: Edge;
  try {
    // Handshakes first, so the edge's first routes already follow the liveness rule.
    await shared.liveness.sweep();
    edge = await startEdge(shared);
  } catch (e) {
    await shared.store.close();
    await shared.wireguard.close();
    throw e;
  }
  // Listen before the app is built: with RELAY_PORT=0 the port is known only now, and the
  // links the API writes name it. No connection is taken before the handlers are on (they go
  // on in this turn of the event loop).
  const server = createServer();
  server.listen(config.port, config.host);
  try {
    await once(server, 'listening');
  } catch (e) {
    await edge.close();
    await shared.store.close();
    await shared.wireguard.close();
    throw e;
  }
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as AddressInfo).port;
  const url = apiUrl(config.host, port);
  const services: Services = {
    ...shared,
    config: servingConfig(config, port, edge),
    edgeHealth: options.services?.edgeHealth ?? (() => edge.health()),
  };
  services.liveness.start(services.timing.livenessSweepSeconds * 1000);
  const reverification = startReverification(services, config.domainReverifyIntervalSeconds);
  const app = createApp(services, { checkResponses: options.checkResponses ?? false });
  server.on('request', app.callback());
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
    reverification,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((r) => server.close(() => r()));
        server.closeIdleConnections();
        const force = setTimeout(() => server.closeAllConnections(), 5000);
        await closed;
        clearTimeout(force);
        await reverification.close();
        services.liveness.close();
        await edge.close();
        await services.store.close();
        await services.wireguard.close();
        await services.mailer.close();
      })();
      return closing;
    },
  };
}
