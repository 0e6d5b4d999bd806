import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DockerContainerView, DockerPortView, DockerView } from '../desktop/desktopApi.js';
import {
  engineGet,
  EngineContainerList,
  EngineVersion,
  negotiateApiVersion,
  type EngineContainer,
  type EngineResponse,
} from './engineApi.js';

/** The Engine API version Cloud Connect is written against (Docker 24). */
export const PREFERRED_API_VERSION = '1.43';
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

export interface DockerDiscoveryOptions {
  /** Reads `DOCKER_HOST` (and `XDG_RUNTIME_DIR` for rootless Docker); defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Use this socket instead of looking one up. */
  socketPath?: string;
  /** Per request. */
  timeoutMs?: number;
}

export interface DockerDiscovery {
  /** Running containers and their published ports; `available: false` with a reason, never a rejection. */
  listContainers(): Promise<DockerView>;
}

type SocketChoice = { ok: true; path: string } | { ok: false; reason: string };

/** Where the Docker socket is: `socketPath`, `DOCKER_HOST=unix://…`, the system socket, or rootless Docker's. */
async function chooseSocket(options: DockerDiscoveryOptions): Promise<SocketChoice> {
  if (options.socketPath) return { ok: true, path: options.socketPath };
  const env = options.env ?? process.env;
  const host = env.DOCKER_HOST?.trim();
  if (host) {
    if (host.startsWith('unix://')) return { ok: true, path: host.slice('unix://'.length) };
    return {
      ok: false,
      reason: `DOCKER_HOST is ${host.replace(/\/\/[^@/]*@/, '//')}; container discovery only reads a local Docker through a unix socket (unix:///var/run/docker.sock). Type the target URL instead.`,
    };
  }
  const candidates = [
    DEFAULT_DOCKER_SOCKET,
    ...(env.XDG_RUNTIME_DIR ? [join(env.XDG_RUNTIME_DIR, 'docker.sock')] : []),
  ];
  for (const path of candidates) {
    try {
      await stat(path);
      return { ok: true, path };
    } catch {
      // try the next one
    }
  }
  return { ok: true, path: DEFAULT_DOCKER_SOCKET };
}

/** Says in words why the socket could not be used. */
function transportReason(socketPath: string, failure: { code: string; message: string }): string {
  switch (failure.code) {
    case 'ENOENT':
      return `Docker is not running here: there is no Docker socket at ${socketPath}. Start Docker, or type the target URL.`;
    case 'EACCES':
    case 'EPERM':
      return `Permission denied on the Docker socket ${socketPath}: add your user to the "docker" group (sudo usermod -aG docker $USER) and sign in again, or type the target URL.`;
    case 'ECONNREFUSED':
      return `Nothing is listening on the Docker socket ${socketPath} (is the Docker daemon stopped?). Start Docker, or type the target URL.`;
    case 'ENOTSOCK':
      return `${socketPath} is not a socket, so it is not Docker's. Check DOCKER_HOST.`;
    case 'ETIMEDOUT':
      return `Docker did not answer on ${socketPath} (${failure.message}).`;
    default:
      return `Could not talk to Docker on ${socketPath}: ${failure.message}`;
  }
}

function engineMessage(body: string): string {
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  } catch {
    // not JSON
  }
  return body.slice(0, 200);
}

/** Docker's "client version X is too old/new. Minimum/Maximum supported API version is Y" → Y. */
function versionFromRefusal(message: string): string | null {
  return /(?:Minimum|Maximum) supported API version is (\d+\.\d+)/i.exec(message)?.[1] ?? null;
}

// Plain code-point order: the same on every machine whatever its locale (IPv4 before IPv6).
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function hostFor(ip: string | undefined): string {
  if (!ip || ip === '0.0.0.0' || ip === '::' || ip === '127.0.0.1' || ip === '::1')
    return 'localhost';
  return ip.includes(':') ? `[${ip}]` : ip;
}

/** Engine container → the DesktopApi's view, with the URLs a tunnel could target on this machine. */
export function toContainerView(container: EngineContainer): DockerContainerView {
  const ports: DockerPortView[] = (container.Ports ?? [])
    .map((p) => ({
      privatePort: p.PrivatePort,
      publicPort: p.PublicPort ?? null,
      ip: p.IP ?? null,
      type: p.Type,
    }))
    .sort(
      (a, b) =>
        a.privatePort - b.privatePort ||
        (a.publicPort ?? 0) - (b.publicPort ?? 0) ||
        byCodePoint(a.ip ?? '', b.ip ?? ''),
    );
  const suggested = new Set<string>();
  for (const port of [...ports].sort((a, b) => (a.publicPort ?? 0) - (b.publicPort ?? 0))) {
    // Only published TCP ports can be reached from this host; IPv4 and IPv6 bindings of one port give one URL.
    if (port.type === 'tcp' && port.publicPort)
      suggested.add(`http://${hostFor(port.ip ?? undefined)}:${port.publicPort}`);
  }
  const name = (container.Names?.[0] ?? container.Id.slice(0, 12)).replace(/^\//, '');
  return {
    id: container.Id,
    name,
    image: container.Image,
    state: container.State,
    ports,
    suggestedTargets: [...suggested],
  };
}

const unavailable = (reason: string): DockerView => ({ available: false, reason, containers: [] });

/**
 * Lists running containers through the Docker Engine API on its unix socket, negotiating the
 * API version once (`/_ping`, `/version`) and again if the daemon later refuses it.
 */
export function createDockerDiscovery(options: DockerDiscoveryOptions = {}): DockerDiscovery {
  const timeoutMs = options.timeoutMs ?? 5_000;
  let negotiated: { socket: string; version: string } | null = null;

  async function negotiate(socket: string): Promise<{ version: string } | { reason: string }> {
    const ping = await engineGet(socket, '/_ping', timeoutMs);
    if (!ping.ok) return { reason: transportReason(socket, ping) };
    if (ping.status !== 200)
      return {
        reason: `${socket} answered /_ping with HTTP ${ping.status}: it does not look like Docker.`,
      };
    const header = ping.headers['api-version'];
    const pingVersion = typeof header === 'string' ? header : undefined;
    const version = await engineGet(socket, '/version', timeoutMs);
    let max = pingVersion;
    let min: string | undefined;
    if (version.ok && version.status === 200) {
      const parsed = EngineVersion.safeParse(safeJson(version.body));
      if (parsed.success) {
        max = parsed.data.ApiVersion;
        min = parsed.data.MinAPIVersion;
      }
    }
    return { version: negotiateApiVersion(PREFERRED_API_VERSION, max, min) };
  }

  async function list(socket: string, version: string): Promise<EngineResponse> {
    return engineGet(socket, `/v${version}/containers/json`, timeoutMs);
  }

  return {
    async listContainers() {
      const choice = await chooseSocket(options);
      if (!choice.ok) return unavailable(choice.reason);
      const socket = choice.path;
      if (negotiated?.socket !== socket) {
        const result = await negotiate(socket);
        if ('reason' in result) return unavailable(result.reason);
        negotiated = { socket, version: result.version };
      }
      let response = await list(socket, negotiated.version);
      // A daemon upgraded or downgraded under us refuses the version with 400 and names its limit.
      if (response.ok && response.status === 400) {
        const limit = versionFromRefusal(engineMessage(response.body));
        if (limit && limit !== negotiated.version) {
          negotiated = { socket, version: limit };
          response = await list(socket, limit);
        }
      }
      if (!response.ok) {
        negotiated = null;
        return unavailable(transportReason(socket, response));
      }
      if (response.status !== 200) {
        return unavailable(
          `Docker refused to list containers (HTTP ${response.status}): ${engineMessage(response.body)}`,
        );
      }
      const parsed = EngineContainerList.safeParse(safeJson(response.body));
      if (!parsed.success)
        return unavailable(
          `Docker's container list on ${socket} was not in the format the Engine API documents.`,
        );
      const containers = parsed.data
        .map(toContainerView)
        .sort((a, b) => a.name.localeCompare(b.name));
      return { available: true, reason: null, containers };
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** One-shot convenience: `createDockerDiscovery(options).listContainers()`. */
export function listDockerContainers(options: DockerDiscoveryOptions = {}): Promise<DockerView> {
  return createDockerDiscovery(options).listContainers();
}
