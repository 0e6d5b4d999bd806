import { request } from 'node:http';
import { z } from 'zod';

/**
 * The slice of the Docker Engine API that discovery reads. Docker adds fields in every release
 * (the API's "open schema model"), so objects are loose and only the fields used are checked.
 */

/** `GET /version`: the daemon's newest and oldest supported API versions. */
export const EngineVersion = z.looseObject({
  ApiVersion: z.string(),
  MinAPIVersion: z.string().optional(),
  Version: z.string().optional(),
});
export type EngineVersion = z.infer<typeof EngineVersion>;

/** One entry of a container's `Ports` (the Engine API's PortSummary). */
export const EnginePort = z.looseObject({
  IP: z.string().optional(),
  PrivatePort: z.number().int().min(0).max(65535),
  PublicPort: z.number().int().min(0).max(65535).optional(),
  Type: z.string(),
});

/** One entry of `GET /containers/json` (the Engine API's ContainerSummary). */
export const EngineContainer = z.looseObject({
  Id: z.string(),
  Names: z.array(z.string()).nullable().optional(),
  Image: z.string(),
  State: z.string(),
  Status: z.string().optional(),
  Ports: z.array(EnginePort).nullable().optional(),
});
export type EngineContainer = z.infer<typeof EngineContainer>;

export const EngineContainerList = z.array(EngineContainer);

/** A response from the Engine, or the transport error that stopped it. */
export type EngineResponse =
  | {
      ok: true;
      status: number;
      headers: Record<string, string | string[] | undefined>;
      body: string;
    }
  | { ok: false; code: string; message: string };

/** Longest answer read: a container list of thousands of containers is a few MiB. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** `GET path` on the Engine API over its unix socket. Never rejects: failures come back as values. */
export function engineGet(
  socketPath: string,
  path: string,
  timeoutMs: number,
): Promise<EngineResponse> {
  return new Promise((resolve) => {
    const req = request(
      { socketPath, path, method: 'GET', headers: { Host: 'docker', Accept: 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy();
            resolve({
              ok: false,
              code: 'ETOOBIG',
              message: `answer larger than ${MAX_BODY_BYTES} bytes`,
            });
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({
            ok: true,
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', (err: NodeJS.ErrnoException) =>
          resolve({ ok: false, code: err.code ?? 'EIO', message: err.message }),
        );
      },
    );
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve({ ok: false, code: 'ETIMEDOUT', message: `no answer within ${timeoutMs} ms` });
    });
    req.on('error', (err: NodeJS.ErrnoException) =>
      resolve({ ok: false, code: err.code ?? 'EIO', message: err.message }),
    );
    req.end();
  });
}

/** `"1.43"` → `[1, 43]`; null when it is not a version. */
export function parseApiVersion(version: string): [number, number] | null {
  const match = /^(\d+)\.(\d+)$/.exec(version.trim());
  return match ? [Number(match[1]), Number(match[2])] : null;
}

export function compareApiVersions(a: string, b: string): number {
  const [x, y] = [parseApiVersion(a), parseApiVersion(b)];
  if (!x || !y) return 0;
  return x[0] - y[0] || x[1] - y[1];
}

/**
 * The version to speak, as the Engine API documents: the lower of ours and the daemon's newest,
 * but never below the daemon's oldest (Docker 29 refuses anything below 1.44; the fields read
 * here have not changed since 1.24, so speaking a newer version is safe).
 */
export function negotiateApiVersion(
  preferred: string,
  daemonMax: string | undefined,
  daemonMin: string | undefined,
): string {
  let version = preferred;
  if (daemonMax && parseApiVersion(daemonMax) && compareApiVersions(daemonMax, version) < 0)
    version = daemonMax;
  if (daemonMin && parseApiVersion(daemonMin) && compareApiVersions(daemonMin, version) > 0)
    version = daemonMin;
  return version;
}
