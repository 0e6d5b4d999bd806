/**
 * The load generator of `bench:wireguard`, run inside a lab host (the client side):
 * `node --import tsx httpLoad.ts <json spec>` prints one JSON result line. Keep-alive HTTP/1.1
 * over node:http, timed with the monotonic clock, so sub-millisecond latencies stay visible.
 */
import { Agent, request } from 'node:http';
import { pathToFileURL } from 'node:url';

export interface LoadSpec {
  /** Base URL of the app, e.g. `http://10.100.0.2:9090`. */
  url: string;
  /** Sequential requests on one connection for the latency figures. */
  latencyRequests: number;
  /** Parallel connections and seconds for the requests/s figure. */
  concurrency: number;
  seconds: number;
  /** Body size and repetitions of the large download for MB/s. */
  downloadBytes: number;
  downloads: number;
  /** Host header to send (bench:edge routes by it); the URL's host when unset. */
  host?: string;
}

export interface LoadResult {
  url: string;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  requestsPerSecond: number;
  downloadMBps: number;
  errors: number;
}

let hostHeader: string | undefined;

function get(agent: Agent, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: hostHeader ? { host: hostHeader } : {} }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(n) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The `p` quantile (0–1) of ascending samples, nearest rank below; NaN for none. */
export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? NaN;

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  hostHeader = spec.host;
  let errors = 0;
  const hello = `${spec.url}/hello`;
  // Latency: one keep-alive connection, one request at a time.
  const one = new Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 50; i++) await get(one, hello); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < spec.latencyRequests; i++) {
    const t = process.hrtime.bigint();
    try {
      await get(one, hello);
      samples.push(Number(process.hrtime.bigint() - t) / 1e6);
    } catch {
      errors++;
    }
  }
  one.destroy();
  samples.sort((a, b) => a - b);

  // Requests per second: `concurrency` keep-alive connections for `seconds`.
  const many = new Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const until = Date.now() + spec.seconds * 1000;
  let done = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: spec.concurrency }, async () => {
      while (Date.now() < until) {
        try {
          await get(many, hello);
          done++;
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  many.destroy();

  // Throughput: large downloads one after the other.
  const big = new Agent({ keepAlive: true, maxSockets: 1 });
  let bytes = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < spec.downloads; i++)
    bytes += await get(big, `${spec.url}/bytes/${spec.downloadBytes}`);
  const downloadS = Number(process.hrtime.bigint() - t0) / 1e9;
  big.destroy();

  return {
    url: spec.url,
    p50Ms: percentile(samples, 0.5),
    p99Ms: percentile(samples, 0.99),
    meanMs: samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length),
    requestsPerSecond: done / elapsedS,
    downloadMBps: bytes / 1e6 / downloadS,
    errors,
  };
}

// Run as a script (inside a lab namespace), not when a bench imports `percentile`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const spec = process.argv[2];
  if (!spec) throw new Error('usage: node --import tsx httpLoad.ts <json spec>');
  const result = await runLoad(JSON.parse(spec) as LoadSpec);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
