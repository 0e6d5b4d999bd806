import { readFile, rename, writeFile } from 'node:fs/promises';

/**
 * What the stand-in's simulated Cloudflare edge does; the JSON file named by
 * `CLOUDFLARED_STANDIN_SCENARIO`. Every field is optional (defaults in README.md). The file is
 * read at every start and on SIGHUP, so a test can change it between restarts.
 */
export interface StandInBehaviour {
  /** Ingress hostnames of the remotely-managed configuration (default `["app.example.com"]`). */
  hostnames?: string[];
  /** Origin service of those hostnames (default `http://localhost:8080`). */
  service?: string;
  /** The edge refuses registration with this reason, e.g. `Unauthorized: Invalid tunnel secret`. */
  reject?: string | null;
  /** Delay before the first connection registers (`/ready` answers 503 meanwhile). */
  readyDelayMs?: number;
  /** Delay between the HA connections coming up (default 5 ms). */
  connectionStaggerMs?: number;
  /** Unit of the reconnect backoff: retry after random [0, base·2^n) (cloudflared: 1000). */
  retryBaseMs?: number;
  /** Failed retries before a lost connection gives up (default `--retries`, 5). */
  retries?: number | null;
  /** Connections to open (default `--ha-connections`, 4). */
  haConnections?: number | null;
  /** Crash: exit this long after start with `exitCode`, printing nothing. */
  exitAfterMs?: number | null;
  exitCode?: number;
  /** How long the graceful shutdown takes after SIGTERM (default 0). */
  shutdownDelayMs?: number;
  /** Log the shutdown but never finish it: only SIGKILL ends the process. */
  ignoreSigterm?: boolean;
  /** The edge is unreachable from the start (as after SIGUSR1). */
  startDropped?: boolean;
  /** Where the stand-in writes its state (`StandInStatus`) on every change. */
  statusFile?: string | null;
}

export interface StandInScenario extends StandInBehaviour {
  /** Per tunnel id (the token's `t`, lower case): overrides for that tunnel only. */
  tunnels?: Record<string, StandInBehaviour>;
}

/** What the stand-in writes to `statusFile`. */
export interface StandInStatus {
  pid: number;
  state: 'running' | 'exited';
  tunnelId: string;
  connectorId: string;
  metrics: string;
  readyConnections: number;
  hostnames: string[];
  edgeReachable: boolean;
  configVersion: number;
}

/** Write a scenario file atomically (a stand-in starting meanwhile never reads half of it). */
export async function writeStandInScenario(path: string, scenario: StandInScenario): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(scenario, null, 2));
  await rename(tmp, path);
}

/** Read the stand-in's status file; null while it has not been written. */
export async function readStandInStatus(path: string): Promise<StandInStatus | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as StandInStatus;
  } catch {
    return null;
  }
}

/** The environment that points a stand-in at a scenario file. */
export function standInEnv(scenarioPath: string): Record<string, string> {
  return { CLOUDFLARED_STANDIN_SCENARIO: scenarioPath };
}

/** Signals the stand-in understands besides SIGTERM/SIGINT (see README.md). */
export const standInSignals = {
  /** The edge becomes unreachable: every connection is lost and retried. */
  dropConnections: 'SIGUSR1',
  /** The edge is reachable again: waiting connections register at their next retry. */
  restoreConnections: 'SIGUSR2',
  /** Read the scenario file again; new hostnames arrive as a new configuration. */
  reloadScenario: 'SIGHUP',
} as const satisfies Record<string, NodeJS.Signals>;
