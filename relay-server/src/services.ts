import type { Billing } from './billing/billing.js';
import type { Clock } from './clock.js';
import type { Config } from './config/config.js';
import type { CnameResolver } from './dns/cnameResolver.js';
import type { EdgeHealth } from './edge/runningEdge.js';
import type { RelayEvents } from './events.js';
import type { RateLimits } from './http/rateLimit.js';
import type { LivenessWatch } from './liveness/livenessWatch.js';
import type { Logger } from './logging/logger.js';
import type { Mailer } from './mail/mailer.js';
import type { Metrics } from './metrics/metrics.js';
import type { PasswordHasher } from './passwords/passwords.js';
import type { Store } from './store/types.js';
import type { StreamPaths } from './streamTransport/streamForward.js';
import type { TokenService } from './tokens/tokens.js';
import type { WireGuardServer } from './wireguard/server.js';

/** Timing of the tunnel protocol; tests shorten it. */
export interface TunnelTiming {
  /** Seconds the agent waits between heartbeats (`next_heartbeat_in`). */
  heartbeatIntervalSeconds: number;
  /** Heartbeats an instance may miss before it counts as disconnected. */
  missedHeartbeats: number;
  /** Seconds between liveness sweeps (stale heartbeats and handshakes take the edge offline). */
  livenessSweepSeconds: number;
}

/** Everything the Cloud API depends on, passed in so tests build the real ones on temp dirs. */
export interface Services {
  config: Config;
  store: Store;
  mailer: Mailer;
  /** null when Stripe is not configured: every account is Free. */
  billing: Billing | null;
  dns: CnameResolver;
  wireguard: WireGuardServer;
  clock: Clock;
  logger: Logger;
  tokens: TokenService;
  passwords: PasswordHasher;
  limits: RateLimits;
  metrics: Metrics;
  events: RelayEvents;
  timing: TunnelTiming;
  /** Who is connected now: one rule for the API, the edge and the metrics. */
  liveness: LivenessWatch;
  /** The agents' stream sessions; absent in a process without the relay's API server. */
  streams?: Pick<StreamPaths, 'has'>;
  /** Health of the edge, reported by whichever edge runs. */
  edgeHealth: () => Promise<EdgeHealth>;
}
