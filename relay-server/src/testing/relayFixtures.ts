import { rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, beforeEach, onTestFinished } from 'vitest';
import { startDnsServer, type TestDnsServer } from './dnsServer.js';
import {
  startStripeStandIn,
  type StripeStandIn,
  type StripeStandInOptions,
} from './stripeStandIn.js';
import { startTestRelay, type TestRelay, type TestRelayOptions } from './testRelay.js';

// Vitest hooks for the set-ups the relay's route tests share. Kept out of `index.ts`: that one
// is imported by benches and e2e helpers that run outside vitest.

/** A relay for the running test alone, stopped when the test finishes, passed or failed. */
export async function startTestRelayForTest(options?: TestRelayOptions): Promise<TestRelay> {
  const t = await startTestRelay(options);
  onTestFinished(() => t.stop());
  return t;
}

/** Before each test, a relay of its own (with `options`), stopped after it. */
export function useTestRelay(options?: TestRelayOptions): { readonly t: TestRelay } {
  let started: { t: TestRelay } | undefined;
  beforeEach(async () => {
    started = { t: await startTestRelay(options) };
  });
  afterEach(async () => {
    await started?.t.stop();
    started = undefined;
  });
  return fieldsOf(() => started, ['t']);
}

/** What a fixture started; read it inside tests and hooks, never at the top of a file. */
export interface StripeRelay {
  readonly t: TestRelay;
  readonly stripe: StripeStandIn;
}

/**
 * Before each test, a Stripe stand-in (with the options `standIn` gives for that test) and a
 * relay that bills through it and, with `webhooks`, receives the stand-in's webhooks as
 * Stripe would send them; both stop after.
 */
export function useStripeRelay(
  options: { webhooks?: boolean; standIn?: () => StripeStandInOptions } = {},
): StripeRelay {
  let started: { t: TestRelay; stripe: StripeStandIn } | undefined;
  beforeEach(async () => {
    const stripe = await startStripeStandIn(options.standIn?.());
    const t = await startTestRelay({ stripe });
    if (options.webhooks) stripe.webhookUrl = t.url;
    started = { t, stripe };
  });
  afterEach(async () => {
    await started?.t.stop();
    await started?.stripe.close();
    started = undefined;
  });
  return fieldsOf(() => started, ['t', 'stripe']);
}

/** What `useDnsRelay` started. */
export interface DnsRelay {
  readonly t: TestRelay;
  readonly dns: TestDnsServer;
  /** Stop the relay keeping its data, and start it again on it as an operator's restart would. */
  restart(): Promise<TestRelay>;
}

/**
 * Before the file's tests, a DNS stand-in and a relay that resolves through it
 * (`DNS_SERVERS`), with `options` on top; each test starts with the stand-in answering
 * normally. Both stop after the file.
 */
export function useDnsRelay(options: TestRelayOptions = {}): DnsRelay {
  let started: { t: TestRelay; dns: TestDnsServer } | undefined;
  const start = (dns: TestDnsServer, dataDir?: string) =>
    startTestRelay({ ...options, dataDir, env: { DNS_SERVERS: dns.address, ...options.env } });
  beforeAll(async () => {
    const dns = await startDnsServer();
    started = { t: await start(dns), dns };
  });
  beforeEach(() => current(started).dns.simulate(null));
  afterAll(async () => {
    await started?.t.stop();
    // A relay started again on a given data dir leaves it in place when it stops.
    if (started) await rm(started.t.dataDir, { recursive: true, force: true });
    await started?.dns.close();
    started = undefined;
  });
  return Object.assign(
    fieldsOf(() => started, ['t', 'dns']),
    {
      async restart() {
        const { t, dns } = current(started);
        await t.stop({ keepData: true });
        started = { t: await start(dns, t.dataDir), dns };
        return started.t;
      },
    },
  );
}

function current<T>(started: T | undefined): T {
  if (!started) throw new Error('the fixture is read outside a test: its hooks have not run');
  return started;
}

/** An object whose `keys` read what the fixture's hooks started, when a test reads them. */
function fieldsOf<T extends object, K extends keyof T>(
  started: () => T | undefined,
  keys: K[],
): Pick<T, K> {
  const fields = {} as Pick<T, K>;
  for (const key of keys) {
    Object.defineProperty(fields, key, { get: () => current(started())[key], enumerable: true });
  }
  return fields;
}
