import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DestinationStream } from 'pino';
import { createApp } from './app.js';
import { createBilling } from './billing/billing.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config/config.js';
import { prepareDataDir } from './config/dataDir.js';
import { loadOrCreateRelaySecret } from './config/relaySecret.js';
import { createCnameResolver } from './dns/cnameResolver.js';
import { startEdge, type Edge } from './edge/edge.js';
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

export interface RelayOptions {
  clock?: Clock;
  logDestination?: DestinationStream;
  rateLimits?: Partial<RateLimitConfig>;
  timing?: Partial<TunnelTiming>;
  store?: LowdbStoreOptions;
  checkResponses?: boolean;
  /** Replace single services (tests use this sparingly; the defaults are the real ones). */
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

/** Build every service from the config: store on the data dir, keys, mail, Stripe, DNS, WireGuard. */
export async function buildServices(config: Config, options: RelayOptions = {}): Promise<Services> {
  const clock = options.clock ?? systemClock;
  const logger = createLogger(config.logLevel, options.logDestination);
  await prepareDataDir(config.dataDir);
  const secret = await loadOrCreateRelaySecret(config.dataDir, config.secret);
  const keys = await loadOrCreateServerKey(config.dataDir);
  const store = await LowdbStore.open(config.dataDir, options.store);
  const timing: TunnelTiming = {
    heartbeatIntervalSeconds: 60,
    missedHeartbeats: 3,
    livenessSweepSeconds: 5,
    ...options.timing,
  };
  const wireguard =
    options.services?.wireguard ??
    (await createWireGuardServer(config, keys.publicKey, store, logger).catch(
      async (e: unknown) => {
        await store.close();
        throw e;
      },
    ));
  const events = options.services?.events ?? new RelayEvents();
  const liveness =
    options.services?.liveness ??
    new LivenessWatch({ config, store, wireguard, clock, timing, events, logger });
  const metrics = new Metrics(() => liveness.countConnected());
  const mailer = config.smtpUrl
    ? smtpMailer(config.smtpUrl, `Cloud Connect <no-reply@${config.baseDomain}>`, logger)
    : outboxMailer(config.dataDir, logger);
  return {
    config,
    store,
    mailer,
    billing: createBilling(config.stripe, () => clock.now()),
    dns: createCnameResolver(config.dnsServers),
    wireguard,
    clock,
    logger,
    tokens: new TokenService(secret, () => clock.now()),
    passwords: argon2Hasher,
    limits: new RateLimits({ ...DEFAULT_RATE_LIMITS, ...options.rateLimits }),
    metrics,
    events,
    timing,
    liveness,
    edgeHealth: async () => ({ ok: true, detail: 'off: no edge in this process' }),
    ...options.services,
  };
}

/** Start the Cloud API on `config.host:config.port` (0 picks a free port). */
export async function startRelay(
  config: Config,
  options: RelayOptions = {},
): Promise<RunningRelay> {
  const services = await buildServices(config, options);
  let edge: Edge;
  try {
    // Handshakes first, so the edge's first routes already follow the liveness rule.
    await services.liveness.sweep();
    edge = await startEdge(services);
  } catch (e) {
    await services.store.close();
    await services.wireguard.close();
    throw e;
  }
  if (!options.services?.edgeHealth) services.edgeHealth = () => edge.health();
  // EDGE_PORT=0 picks a free port: the public URLs the API reports must name the one it got.
  if (edge.proxy?.mode === 'builtin' && config.edgePort === 0) {
    config.edgePort = Number(new URL(edge.proxy.url).port);
  }
  services.liveness.start(services.timing.livenessSweepSeconds * 1000);
  const reverification = startReverification(services, config.domainReverifyIntervalSeconds);
  const app = createApp(services, { checkResponses: options.checkResponses ?? false });
  const server = app.listen(config.port, config.host);
  answerProtocolErrors(server, services.logger);
  await once(server, 'listening');
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  services.logger.info(
    {
      url: `http://${host}:${port}`,
      data_dir: config.dataDir,
      mail: services.mailer.kind,
      billing: services.billing ? 'stripe' : 'off',
      wg_mode: config.wgMode,
    },
    'relay-server listening',
  );
  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}`,
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
