import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudflaredDriver,
  type CloudflaredDriverOptions,
} from '../../tunnels/cloudflared/cloudflaredDriver.js';
import { cloudflaredStandInPath } from './paths.js';
import {
  readStandInStatus,
  standInEnv,
  writeStandInScenario,
  type StandInScenario,
  type StandInStatus,
} from './scenario.js';
import { makeTunnelToken } from './tunnelToken.js';

/** A temp dir with a scenario file, and cloudflared drivers that run the stand-in with it. */
export interface StandInFixture {
  readonly dir: string;
  readonly scenarioPath: string;
  /** Where the stand-in writes its status (set in every scenario the fixture writes). */
  readonly statusPath: string;
  /** Replace the scenario (read by the stand-in at its next start, or on SIGHUP). */
  setScenario(scenario: StandInScenario): Promise<void>;
  readStatus(): Promise<StandInStatus | null>;
  /** A driver on the stand-in; a fresh well-formed token unless one is given. */
  driver(options?: Partial<CloudflaredDriverOptions>): CloudflaredDriver;
  /** Stop every driver made here and remove the temp dir. */
  cleanup(): Promise<void>;
}

/**
 * Set up the stand-in for a test: `const f = await createStandInFixture({ hostnames: [...] })`,
 * `f.driver()`, and `await f.cleanup()` in `afterEach`/`finally`.
 */
export async function createStandInFixture(
  scenario: StandInScenario = {},
): Promise<StandInFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'cloudflared-standin-'));
  const scenarioPath = join(dir, 'scenario.json');
  const statusPath = join(dir, 'status.json');
  const drivers: CloudflaredDriver[] = [];
  const setScenario = (next: StandInScenario) =>
    writeStandInScenario(scenarioPath, { statusFile: statusPath, ...next });
  await setScenario(scenario);
  return {
    dir,
    scenarioPath,
    statusPath,
    setScenario,
    readStatus: () => readStandInStatus(statusPath),
    driver(options = {}) {
      const driver = new CloudflaredDriver({
        token: makeTunnelToken(),
        binaryPath: cloudflaredStandInPath(),
        readyPollMs: 50,
        stopGraceMs: 5_000,
        ...options,
        env: { ...standInEnv(scenarioPath), ...options.env },
      });
      drivers.push(driver);
      return driver;
    },
    async cleanup() {
      await Promise.all(drivers.map((d) => d.stop().catch(() => undefined)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
