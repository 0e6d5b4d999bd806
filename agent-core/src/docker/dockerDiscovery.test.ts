import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  sampleContainer,
  startDockerEngineStandIn,
  type DockerEngineStandIn,
} from '../testing/dockerEngineStandIn.js';
import type { DockerView } from '../desktop/desktopApi.js';
import { createDockerDiscovery, listDockerContainers, toContainerView } from './dockerDiscovery.js';
import { negotiateApiVersion } from './engineApi.js';

const containers = () => [
  sampleContainer('nextcloud', [
    { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
    { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
    { PrivatePort: 443, Type: 'tcp' },
  ]),
  sampleContainer('postgres', [{ PrivatePort: 5432, Type: 'tcp' }]),
  sampleContainer('grafana', [
    { IP: '127.0.0.1', PrivatePort: 3000, PublicPort: 3000, Type: 'tcp' },
  ]),
  sampleContainer('dns', [{ IP: '0.0.0.0', PrivatePort: 53, PublicPort: 5353, Type: 'udp' }]),
  sampleContainer('lan-only', [
    { IP: '192.168.1.10', PrivatePort: 443, PublicPort: 8443, Type: 'tcp' },
  ]),
  sampleContainer('stopped-app', [], { State: 'exited' }),
];

const standIns: DockerEngineStandIn[] = [];
async function standIn(...args: Parameters<typeof startDockerEngineStandIn>) {
  const s = await startDockerEngineStandIn(...args);
  standIns.push(s);
  return s;
}
const dirs: string[] = [];
async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), 'cc-dockertest-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(standIns.splice(0).map((s) => s.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('Docker discovery against an Engine API stand-in', () => {
  it('lists running containers with their ports and the URLs a tunnel could target', async () => {
    const docker = await standIn({ containers: containers() });
    const view = await listDockerContainers({ socketPath: docker.socketPath });
    expect(view.available).toBe(true);
    expect(view.reason).toBeNull();
    expect(view.containers.map((c) => c.name)).toEqual([
      'dns',
      'grafana',
      'lan-only',
      'nextcloud',
      'postgres',
    ]);
    const nextcloud = view.containers.find((c) => c.name === 'nextcloud')!;
    expect(nextcloud).toEqual({
      id: containers()[0]!.Id,
      name: 'nextcloud',
      image: 'nextcloud:latest',
      state: 'running',
      ports: [
        { privatePort: 80, publicPort: 8080, ip: '0.0.0.0', type: 'tcp' },
        { privatePort: 80, publicPort: 8080, ip: '::', type: 'tcp' },
        { privatePort: 443, publicPort: null, ip: null, type: 'tcp' },
      ],
      suggestedTargets: ['http://localhost:8080'],
    });
    const targets = Object.fromEntries(view.containers.map((c) => [c.name, c.suggestedTargets]));
    expect(targets).toEqual({
      dns: [], // UDP cannot carry HTTP
      grafana: ['http://localhost:3000'],
      'lan-only': ['http://192.168.1.10:8443'],
      nextcloud: ['http://localhost:8080'],
      postgres: [], // not published on the host
    });
  });

  it('negotiates the API version once with /_ping and /version, then asks /v1.43/containers/json', async () => {
    const docker = await standIn({
      containers: containers(),
      apiVersion: '1.45',
      minApiVersion: '1.24',
    });
    const discovery = createDockerDiscovery({ socketPath: docker.socketPath });
    await discovery.listContainers();
    await discovery.listContainers();
    expect(docker.requests).toEqual([
      'GET /_ping',
      'GET /version',
      'GET /v1.43/containers/json',
      'GET /v1.43/containers/json',
    ]);
  });

  it.each([
    ['an older daemon', '1.41', '1.12', '/v1.41/containers/json'],
    ['Docker 29, which refuses anything below 1.44', '1.52', '1.44', '/v1.44/containers/json'],
  ])('speaks a version %s accepts', async (_what, max, min, path) => {
    const docker = await standIn({ containers: containers(), apiVersion: max, minApiVersion: min });
    const view = await listDockerContainers({ socketPath: docker.socketPath });
    expect(view.available).toBe(true);
    expect(view.containers).toHaveLength(5);
    expect(docker.requests).toContain(`GET ${path}`);
  });

  it('re-negotiates when the daemon is upgraded under it and refuses the old version', async () => {
    const docker = await standIn({ containers: containers() });
    const discovery = createDockerDiscovery({ socketPath: docker.socketPath });
    expect((await discovery.listContainers()).available).toBe(true);
    docker.setApiVersions('1.52', '1.44');
    const view = await discovery.listContainers();
    expect(view.available).toBe(true);
    expect(docker.requests.slice(-2)).toEqual([
      'GET /v1.43/containers/json',
      'GET /v1.44/containers/json',
    ]);
  });

  it('sees containers come and go between calls', async () => {
    const docker = await standIn({ containers: [] });
    const discovery = createDockerDiscovery({ socketPath: docker.socketPath });
    expect((await discovery.listContainers()).containers).toEqual([]);
    docker.setContainers(containers());
    expect((await discovery.listContainers()).containers).toHaveLength(5);
  });

  it('finds the socket through DOCKER_HOST=unix://…', async () => {
    const docker = await standIn({ containers: containers() });
    const view = await listDockerContainers({
      env: { DOCKER_HOST: `unix://${docker.socketPath}` },
    });
    expect(view.available).toBe(true);
    expect(docker.requests).toContain('GET /_ping');
  });
});

describe('Docker discovery when Docker cannot be used', () => {
  it('says Docker is not running when there is no socket, without throwing', async () => {
    const path = join(await tempDir(), 'docker.sock');
    const view = await listDockerContainers({ env: { DOCKER_HOST: `unix://${path}` } });
    expect(view).toEqual({
      available: false,
      reason: expect.stringContaining(`no Docker socket at ${path}`),
      containers: [],
    });
  });

  it('explains a DOCKER_HOST that is not a unix socket, without its credentials', async () => {
    const view = await listDockerContainers({
      env: { DOCKER_HOST: 'tcp://admin:hunter22@10.0.0.5:2376' },
    });
    expect(view.available).toBe(false);
    expect(view.reason).toMatch(/unix socket/);
    expect(view.reason).not.toContain('hunter22');
  });

  it('says nothing is listening on a socket left behind by a dead daemon', async () => {
    const path = join(await tempDir(), 'docker.sock');
    // A process that binds the socket and dies leaves the file with no listener behind it.
    await new Promise<void>((resolve, reject) =>
      execFile(
        process.execPath,
        [
          '-e',
          `require('net').createServer().listen(${JSON.stringify(path)}, () => process.exit(0))`,
        ],
        (err) => (err ? reject(err) : resolve()),
      ),
    );
    const view = await listDockerContainers({ socketPath: path });
    expect(view.available).toBe(false);
    expect(view.reason).toMatch(/Nothing is listening/);
  });

  it('says a socket that answers like something else is not Docker', async () => {
    const path = join(await tempDir(), 'other.sock');
    const server = createServer((_req, res) => {
      res.writeHead(404).end('not here');
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const view = await listDockerContainers({ socketPath: path });
      expect(view.available).toBe(false);
      expect(view.reason).toMatch(/does not look like Docker/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('gives up on a daemon that does not answer in time', async () => {
    const docker = await standIn({ containers: containers() });
    docker.setDelay(1_000);
    const started = Date.now();
    const view = await listDockerContainers({ socketPath: docker.socketPath, timeoutMs: 150 });
    expect(Date.now() - started).toBeLessThan(900);
    expect(view.available).toBe(false);
    expect(view.reason).toMatch(/did not answer/);
  });

  it('reports a container list that does not match the Engine API', async () => {
    const docker = await standIn();
    docker.setContainers([{ Names: ['/broken'], State: 'running' } as never]);
    const view = await listDockerContainers({ socketPath: docker.socketPath });
    expect(view.available).toBe(false);
    expect(view.reason).toMatch(/not in the format/);
  });
});

describe('Docker discovery without permission on the socket', () => {
  let docker: DockerEngineStandIn;
  beforeAll(async () => {
    docker = await startDockerEngineStandIn({ containers: containers() });
    // As on a real host: root:root srw-rw---- in a folder anyone may enter.
    await chmod(dirname(docker.socketPath), 0o755);
    await chmod(docker.socketPath, 0o660);
  });
  afterAll(async () => {
    await docker?.close();
  });

  /** Runs discovery as an unprivileged user (root would be let in regardless of the mode). */
  async function listAsNobody(socketPath: string): Promise<DockerView> {
    const dir = await tempDir();
    await chmod(dir, 0o755);
    const script = join(dir, 'list.mts');
    const moduleUrl = new URL('./dockerDiscovery.ts', import.meta.url).href;
    await writeFile(
      script,
      `import { listDockerContainers } from ${JSON.stringify(moduleUrl)};\nprocess.stdout.write(JSON.stringify(await listDockerContainers({ socketPath: ${JSON.stringify(socketPath)} })));\n`,
    );
    const tsx = createRequire(import.meta.url).resolve('tsx');
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', tsx, script],
        {
          uid: 65534,
          gid: 65534,
          cwd: dir,
          env: { PATH: process.env.PATH, HOME: dir },
          timeout: 20_000,
        },
        (err, stdout, stderr) =>
          err
            ? reject(new Error(`${err.message}\n${stderr}`))
            : resolve(JSON.parse(stdout) as DockerView),
      );
    });
  }

  it('says permission was denied and how to get it', async () => {
    let view: DockerView;
    if (process.getuid?.() === 0) {
      view = await listAsNobody(docker.socketPath);
    } else {
      await chmod(docker.socketPath, 0o000);
      view = await listDockerContainers({ socketPath: docker.socketPath });
    }
    expect(view.available).toBe(false);
    expect(view.reason).toMatch(/Permission denied on the Docker socket/);
    expect(view.reason).toMatch(/docker" group/);
    // Nothing reached the daemon.
    expect(docker.requests).toEqual([]);
  });
});

describe('mapping and negotiation', () => {
  it('maps the Engine API reference example container', () => {
    const example = {
      Id: '8dfafdbc3a40',
      Names: ['/boring_feynman'],
      Image: 'ubuntu:latest',
      ImageID: 'd74508fb6632491cea586a1fd7d748dfc5274cd6fdfedee309ecdcbc2bf5cb82',
      Command: 'echo 1',
      Created: 1367854155,
      State: 'Exited',
      Status: 'Exit 0',
      Ports: [{ PrivatePort: 2222, PublicPort: 3333, Type: 'tcp' }],
      Labels: { 'com.example.vendor': 'Acme' },
    };
    expect(toContainerView(example)).toEqual({
      id: '8dfafdbc3a40',
      name: 'boring_feynman',
      image: 'ubuntu:latest',
      state: 'Exited',
      ports: [{ privatePort: 2222, publicPort: 3333, ip: null, type: 'tcp' }],
      suggestedTargets: ['http://localhost:3333'],
    });
  });

  it('compares versions as numbers, never below the daemon minimum nor above its maximum', () => {
    expect(negotiateApiVersion('1.43', '1.9', undefined)).toBe('1.9');
    expect(negotiateApiVersion('1.43', '1.100', '1.24')).toBe('1.43');
    expect(negotiateApiVersion('1.43', '1.52', '1.44')).toBe('1.44');
    expect(negotiateApiVersion('1.43', undefined, undefined)).toBe('1.43');
    expect(negotiateApiVersion('1.43', 'garbage', undefined)).toBe('1.43');
  });
});
