import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config/config.js';
import { startRelay, type RelayOptions, type RunningRelay } from '../relay.js';
import { ApiClient } from './apiClient.js';
import { LogCapture, SecretLedger } from './logCapture.js';
import { latestMailToken, readOutbox } from './outbox.js';
import type { StripeStandIn } from './stripeStandIn.js';

export interface TestRelayOptions extends RelayOptions {
  /** Extra environment, as an operator would set it (RELAY_BASE_DOMAIN, STRIPE_*, DNS_SERVERS…). */
  env?: Record<string, string>;
  /** Reuse a data dir (restart tests); a fresh temp dir otherwise. */
  dataDir?: string;
  /** Point billing at this stand-in (its `env`) and put its key and signing secret in the ledger. */
  stripe?: StripeStandIn;
}

export interface TestRelay {
  relay: RunningRelay;
  url: string;
  dataDir: string;
  api: ApiClient;
  logs: LogCapture;
  ledger: SecretLedger;
  outbox: () => ReturnType<typeof readOutbox>;
  mailToken: (to: string, page: 'verify-email' | 'reset-password') => Promise<string>;
  /** Stop the relay; fails if any secret the test saw appears in the relay's logs. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/** Generous budgets so ordinary tests never hit a rate limit; rate-limit tests set their own. */
const TEST_RATE_LIMITS = {
  authPerIp: { points: 100_000, durationSeconds: 60 },
  tokenAttemptsPerIp: { points: 100_000, durationSeconds: 60 },
  subdomainCheckPerUser: { points: 100_000, durationSeconds: 60 },
  tunnelPerInstance: { points: 100_000, durationSeconds: 60 },
  mailPerAccount: { points: 1000, durationSeconds: 60 },
};

/**
 * A real relay-server on a loopback port and a temp data dir, logging at debug level into
 * memory. Everything is real (lowdb store, argon2, JWT, outbox mail); Stripe and DNS are
 * whatever the env points at.
 */
export async function startTestRelay(options: TestRelayOptions = {}): Promise<TestRelay> {
  const { stripe, ...relayOptions } = options;
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'cc-relay-')));
  const config = loadConfig({
    RELAY_HOST: '127.0.0.1',
    RELAY_PORT: '0',
    RELAY_DATA_DIR: dataDir,
    RELAY_BASE_DOMAIN: 'cloud.test',
    LOG_LEVEL: 'debug',
    // Tests that want the edge ask for it; parallel relays must not all bind its port.
    EDGE_MODE: 'off',
    ...stripe?.env,
    ...options.env,
  });
  const logs = new LogCapture();
  const ledger = new SecretLedger();
  if (stripe) {
    ledger.add(stripe.secretKey);
    ledger.add(stripe.webhookSecret);
  }
  const relay = await startRelay(config, {
    checkResponses: true,
    logDestination: logs,
    ...relayOptions,
    rateLimits: { ...TEST_RATE_LIMITS, ...options.rateLimits },
  });
  const api = new ApiClient(`${relay.url}/v1`, ledger);
  return {
    relay,
    url: relay.url,
    dataDir,
    api,
    logs,
    ledger,
    outbox: () => readOutbox(dataDir),
    mailToken: async (to, page) => {
      const token = await latestMailToken(dataDir, to, page);
      ledger.add(token);
      return token;
    },
    async stop({ keepData = false } = {}) {
      await relay.close();
      if (!keepData && !options.dataDir) await rm(dataDir, { recursive: true, force: true });
      const leaked = ledger.leakedIn(logs.text());
      if (leaked.length) throw new Error(`secrets appeared in the relay log: ${leaked.join(', ')}`);
    },
  };
}
