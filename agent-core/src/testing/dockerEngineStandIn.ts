import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareApiVersions } from '../docker/engineApi.js';

/**
 * A stand-in Docker daemon on a unix socket that answers as the Docker Engine API documents:
 * `GET /_ping` ("OK" with the `API-Version` header), `GET /version`, `GET /containers/json`
 * (running containers; all with `?all=1`), each with or without a `/v1.xx` prefix, refusing a
 * version outside its range with 400 and Docker's own message, and `{"message": …}` errors.
 */

/** A container as `GET /containers/json` returns it (the Engine API's ContainerSummary). */
export interface StandInContainer {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  State: string;
  Status: string;
  Ports: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }>;
  Labels: Record<string, string>;
  [field: string]: unknown;
}

export interface DockerEngineStandInOptions {
  containers?: StandInContainer[];
  /** The daemon's newest API version (`API-Version`, `ApiVersion`). */
  apiVersion?: string;
  /** The daemon's oldest API version (`MinAPIVersion`); Docker 29 says 1.44. */
  minApiVersion?: string;
}

export interface DockerEngineStandIn {
  readonly socketPath: string;
  /** Every request as `METHOD path`, in order. */
  readonly requests: string[];
  setContainers(containers: StandInContainer[]): void;
  /** Change the daemon's supported range, as an upgrade under a running client would. */
  setApiVersions(apiVersion: string, minApiVersion: string): void;
  /** Answer every request after this many ms (to test timeouts); 0 to stop. */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

const hex = (seed: string) => Buffer.from(seed.padEnd(32, '0').slice(0, 32)).toString('hex');

/** A container like the Engine API reference's example, running unless `State` says otherwise. */
export function sampleContainer(
  name: string,
  ports: StandInContainer['Ports'],
  overrides: Partial<StandInContainer> = {},
): StandInContainer {
  const running = (overrides.State ?? 'running') === 'running';
  return {
    Id: hex(name),
    Names: [`/${name}`],
    Image: `${name}:latest`,
    ImageID: `sha256:${hex(`image-${name}`)}`,
    Command: '/entrypoint.sh',
    Created: 1_700_000_000,
    State: 'running',
    Status: running ? 'Up 2 hours' : 'Exited (0) 5 minutes ago',
    Ports: ports,
    Labels: { 'com.example.vendor': 'Acme' },
    SizeRw: 12288,
    SizeRootFs: 0,
    HostConfig: { NetworkMode: 'default' },
    NetworkSettings: {
      Networks: {
        bridge: {
          NetworkID: hex('bridge'),
          Gateway: '172.17.0.1',
          IPAddress: '172.17.0.2',
          IPPrefixLen: 16,
        },
      },
    },
    Mounts: [],
    ...overrides,
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', Server: 'Docker/24.0.7 (linux)' });
  res.end(`${JSON.stringify(body)}\n`);
}

/** Starts the stand-in on a socket in a fresh temp dir. */
export async function startDockerEngineStandIn(
  options: DockerEngineStandInOptions = {},
): Promise<DockerEngineStandIn> {
  const dir = await mkdtemp(join(tmpdir(), 'cc-docker-'));
  const socketPath = join(dir, 'docker.sock');
  let containers = options.containers ?? [];
  let apiVersion = options.apiVersion ?? '1.43';
  let minApiVersion = options.minApiVersion ?? '1.24';
  let delay = 0;
  const requests: string[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? '/', 'http://docker');
    const versioned = /^\/v(\d+\.\d+)(\/.*)$/.exec(url.pathname);
    const path = versioned ? versioned[2]! : url.pathname;
    const asked = versioned?.[1];
    if (asked && compareApiVersions(asked, minApiVersion) < 0) {
      json(res, 400, {
        message: `client version ${asked} is too old. Minimum supported API version is ${minApiVersion}, please upgrade your client to a newer version`,
      });
      return;
    }
    if (asked && compareApiVersions(asked, apiVersion) > 0) {
      json(res, 400, {
        message: `client version ${asked} is too new. Maximum supported API version is ${apiVersion}`,
      });
      return;
    }
    if (path === '/_ping' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, {
        'Content-Type': 'text/plain; charset=utf-8',
        'Api-Version': apiVersion,
        'Builder-Version': '2',
        'Docker-Experimental': 'false',
        Ostype: 'linux',
        'Cache-Control': 'no-cache, no-store, must-revalidate',
        Pragma: 'no-cache',
        Server: 'Docker/24.0.7 (linux)',
      });
      res.end(req.method === 'HEAD' ? undefined : 'OK');
      return;
    }
    if (path === '/version' && req.method === 'GET') {
      json(res, 200, {
        Platform: { Name: 'Docker Engine - Community' },
        Version: '24.0.7',
        ApiVersion: apiVersion,
        MinAPIVersion: minApiVersion,
        GitCommit: '311b9ff',
        GoVersion: 'go1.20.10',
        Os: 'linux',
        Arch: 'amd64',
        KernelVersion: '6.1.0',
        BuildTime: '2023-10-26T09:08:02.000000000+00:00',
      });
      return;
    }
    if (path === '/containers/json' && req.method === 'GET') {
      const all = ['1', 'true', 'True'].includes(url.searchParams.get('all') ?? '');
      json(res, 200, all ? containers : containers.filter((c) => c.State === 'running'));
      return;
    }
    json(res, 404, { message: 'page not found' });
  };

  const server = createServer((req, res) => {
    if (delay > 0) setTimeout(() => handle(req, res), delay).unref();
    else handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });

  return {
    socketPath,
    requests,
    setContainers(next) {
      containers = next;
    },
    setApiVersions(max, min) {
      apiVersion = max;
      minApiVersion = min;
    },
    setDelay(ms) {
      delay = ms;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
