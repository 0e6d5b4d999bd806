import path from 'node:path';
import { until } from '@cloud-connect/relay-server/testing';
import { TSX_NODE_ARGS } from './labRelay.js';
import type { LabProcess, NetLab } from './netlab.js';
import { REPO_ROOT } from './relayProcess.js';

/** A request answered 200 in full. */
export const ok = (r: LoadRequest): boolean => r.status === 200 && r.error === null;

/** One request the load client finished (wall-clock ms, as the test process's Date.now()). */
export interface LoadRequest {
  start: number;
  end: number;
  /** The HTTP status, 0 when no answer came. */
  status: number;
  /** Why it failed (no answer, or the answer was cut); null when it completed. */
  error: string | null;
}

export interface EdgeLoadOptions {
  /** The edge, `ip:port`. */
  address: string;
  /** The public host the requests name. */
  host: string;
  path?: string;
  /** Requests in flight at once (each worker sends the next when its last one ended). */
  workers?: number;
}

/**
 * Continuous requests to the edge from a lab host (`edgeLoadClient.ts`), for tests that break
 * something under traffic and then check which requests failed and when.
 */
export class EdgeLoad {
  private constructor(
    private readonly proc: LabProcess,
    readonly workers: number,
  ) {}

  static async start(lab: NetLab, from: string, options: EdgeLoadOptions): Promise<EdgeLoad> {
    const workers = options.workers ?? 4;
    const proc = lab.spawn(
      from,
      process.execPath,
      [...TSX_NODE_ARGS, path.join(REPO_ROOT, 'e2e/harness/edgeLoadClient.ts')],
      {
        cwd: REPO_ROOT,
        label: `${from}:load`,
        env: {
          LOAD_ADDRESS: options.address,
          LOAD_HOST: options.host,
          LOAD_PATH: options.path ?? '/hello',
          LOAD_WORKERS: String(workers),
        },
      },
    );
    const load = new EdgeLoad(proc, workers);
    // Started: the first answer came back (whatever it was).
    await proc.waitForLine((l) => l.startsWith('{'), 30_000);
    return load;
  }

  /** Every request finished so far. */
  requests(): LoadRequest[] {
    return this.proc.jsonLines<LoadRequest>();
  }

  /** Wait until `count` requests that started at or after `since` got a 200. */
  succeeded(count: number, since: number, timeoutMs = 15_000): Promise<number> {
    return until(
      `${count} good answers since ${new Date(since).toISOString()}`,
      () => {
        const n = this.requests().filter((r) => ok(r) && r.start >= since).length;
        return n >= count && n;
      },
      timeoutMs,
      50,
    );
  }

  /** Let the requests in flight finish, then stop; every request it made. */
  async stop(): Promise<LoadRequest[]> {
    await this.proc.stop(15_000);
    return this.requests();
  }
}
