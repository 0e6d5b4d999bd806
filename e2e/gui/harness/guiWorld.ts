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
import { Teardown } from '../../harness/teardown.js';

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
  const opened = new Teardown();
  try {
    const dir = await opened.tempDir('cc-gui-');
    const stripe = opened.add(await startStripeStandIn());
    const dns = opened.add(await startDnsServer());
    const relay = opened.add(
      await startTestRelay({ env: { ...stripe.env, DNS_SERVERS: dns.address } }),
    );
    // The hosted checkout page's "Subscribe" delivers the webhooks here, as Stripe would.
    stripe.webhookUrl = relay.url;
    const docker = opened.add(
      await startDockerEngineStandIn({
        containers: [
          sampleContainer('erugo', [
            { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
          ]),
        ],
      }),
    );
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
      close: () => opened.run(),
    };
  } catch (e) {
    await opened.run().catch(() => {});
    throw e;
  }
}
