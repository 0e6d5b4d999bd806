import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  sampleContainer,
  startDockerEngineStandIn,
  startTestKeyring,
  writeStandInScenario,
  type DockerEngineStandIn,
  type StandInScenario,
  type TestKeyring,
} from '@cloud-connect/agent-core/testing';
import {
  startDnsServer,
  startStripeStandIn,
  startTestRelay,
  type StripeStandIn,
  type TestDnsServer,
  type TestRelay,
} from '@cloud-connect/relay-server/testing';

/**
 * The world a GUI test runs in, one per Playwright worker: a real relay-server (lowdb, argon2,
 * outbox mail) with the Stripe stand-in and a real DNS server, a Docker Engine stand-in, and the
 * scenario file the cloudflared stand-in reads. The keyring is a separate worker fixture (see
 * `startGuiKeyring`) because it must come up before keytar is first loaded in the process.
 */
export interface GuiWorld {
  relay: TestRelay;
  stripe: StripeStandIn;
  dns: TestDnsServer;
  docker: DockerEngineStandIn;
  /** Temp dir for this world's files (scenario, app data dirs). */
  dir: string;
  /** The cloudflared stand-in's scenario (`CLOUDFLARED_STANDIN_SCENARIO`). */
  scenarioPath: string;
  /** Rewrite the scenario (read by the stand-in at every start). */
  setScenario(scenario: StandInScenario): Promise<void>;
  close(): Promise<void>;
}

/** What the stand-in's edge does unless a test says otherwise: slow enough to see "Connecting…". */
export const DEFAULT_SCENARIO: StandInScenario = {
  hostnames: ['files.example.com'],
  service: 'http://localhost:8080',
  readyDelayMs: 1200,
  retryBaseMs: 50,
};

/** Starts a keyring on a private bus and points this process (keytar) at it. */
export function startGuiKeyring(): Promise<TestKeyring> {
  return startTestKeyring({ useInThisProcess: true });
}

/** Starts everything a GUI test talks to besides the app itself; `close()` stops it all. */
export async function startGuiWorld(): Promise<GuiWorld> {
  const stops: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    const errors: unknown[] = [];
    for (const stop of stops.reverse()) await stop().catch((e: unknown) => errors.push(e));
    if (errors.length) throw new AggregateError(errors, 'GUI world teardown failed');
  };
  try {
    const dir = await mkdtemp(path.join(tmpdir(), 'cc-gui-'));
    stops.push(() => rm(dir, { recursive: true, force: true }));
    const stripe = await startStripeStandIn();
    stops.push(() => stripe.close());
    const dns = await startDnsServer();
    stops.push(() => dns.close());
    const relay = await startTestRelay({ env: { ...stripe.env, DNS_SERVERS: dns.address } });
    stops.push(() => relay.stop());
    // The hosted checkout page's "Subscribe" delivers the webhooks here, as Stripe would.
    stripe.webhookUrl = relay.url;
    const docker = await startDockerEngineStandIn({
      containers: [
        sampleContainer('erugo', [
          { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
        ]),
      ],
    });
    stops.push(() => docker.close());
    const scenarioPath = path.join(dir, 'cloudflared-scenario.json');
    await writeStandInScenario(scenarioPath, DEFAULT_SCENARIO);
    return {
      relay,
      stripe,
      dns,
      docker,
      dir,
      scenarioPath,
      setScenario: (scenario) => writeStandInScenario(scenarioPath, scenario),
      close: closeAll,
    };
  } catch (e) {
    await closeAll().catch(() => {});
    throw e;
  }
}
