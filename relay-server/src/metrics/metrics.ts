import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The relay's Prometheus metrics on a registry of its own (no global state). */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'cloud_connect_http_request_duration_seconds',
    help: 'Cloud API request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly failedRegistrations = new Counter({
    name: 'cloud_connect_failed_registrations_total',
    help: 'Tunnel registrations and sign-ups that were refused, by reason',
    labelNames: ['kind', 'reason'] as const,
    registers: [this.registry],
  });
  readonly webhookFailures = new Counter({
    name: 'cloud_connect_webhook_failures_total',
    help: 'Stripe webhooks that failed signature checks or processing',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly activeTunnels: Gauge;
  readonly streamSessions: Gauge;

  constructor(
    countActiveTunnels: () => Promise<number>,
    /** Live stream-transport sessions, all instances together (none when not given). */
    countStreamSessions: () => number = () => 0,
  ) {
    this.activeTunnels = new Gauge({
      name: 'cloud_connect_active_tunnels',
      help: 'Instances whose tunnel is connected now',
      registers: [this.registry],
      async collect() {
        this.set(await countActiveTunnels());
      },
    });
    this.streamSessions = new Gauge({
      name: 'cloud_connect_stream_sessions',
      help: 'Stream-transport sessions agents hold open now',
      registers: [this.registry],
      collect() {
        this.set(countStreamSessions());
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'cloud_connect_' });
  }
}
