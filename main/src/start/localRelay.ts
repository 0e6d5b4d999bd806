import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** Where a trial's apps are served: the built-in edge on loopback, first free port from here. */
const EDGE_HOST = '127.0.0.1';
const EDGE_FIRST_PORT = 8080;
const EDGE_PORTS_TRIED = 20;

/** Whether `host:port` can be listened on now (it is released again at once). */
function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE' || e.code === 'EACCES') resolve(false);
      else reject(e);
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * The first port from `from` on (`count` of them) that `host` can listen on. Another process
 * may take it before the relay does; the relay then fails to start and says so in its log.
 */
export async function firstFreePort(host: string, from: number, count: number): Promise<number> {
  for (let port = from; port < from + count && port <= 65535; port++) {
    if (await portIsFree(host, port)) return port;
  }
  throw new Error(
    `no free port for the edge on ${host} from ${from} to ${from + count - 1}; set EDGE_PORT to a free one`,
  );
}

/**
 * The relay's entry point beside this module: its built `dist/server.js` when the launcher
 * runs built, its `src/server.ts` when the launcher itself runs from source (under tsx, whose
 * loader flags the child then gets too).
 */
function relayEntry(repoRoot: string): string {
  const fromSource = fileURLToPath(import.meta.url).endsWith('.ts');
  return path.join(
    repoRoot,
    fromSource ? 'relay-server/src/server.ts' : 'relay-server/dist/server.js',
  );
}

/** The relay this launcher started. */
export interface LaunchedRelay {
  /** The built-in edge's port: every connected app is at `http://<subdomain>.localhost:<port>/`. */
  edgePort: number;
  /** Its data dir (store, mail outbox). */
  dataDir: string;
  logFile: string;
}

export interface LocalRelay {
  url: string;
  /** null when a relay already running at `url` is reused (its edge and data are its own). */
  launched: LaunchedRelay | null;
  stop(): Promise<void>;
}

/**
 * The environment of a one-machine relay: its built-in edge on loopback, WireGuard off (no
 * root needed; apps come in over the stream transport, which the API port always serves), and
 * tunnel addresses from a loopback range, since with WireGuard off none may name another
 * host. The user's own settings win, except where the relay must be the one found here.
 */
export function localRelayEnv(
  env: NodeJS.ProcessEnv,
  place: { port: string; dataDir: string; edgePort: number },
): NodeJS.ProcessEnv {
  return {
    EDGE_MODE: 'builtin',
    EDGE_HOST: EDGE_HOST,
    WG_MODE: 'off',
    TUNNEL_CIDR: '127.77.0.0/16',
    RELAY_BASE_DOMAIN: 'localhost',
    ...env,
    EDGE_PORT: String(place.edgePort),
    RELAY_HOST: '127.0.0.1',
    RELAY_PORT: place.port,
    RELAY_DATA_DIR: place.dataDir,
  };
}

/**
 * The relay for trying everything on one machine: relay-server as a child process on
 * 127.0.0.1:8787 with its built-in edge on 127.0.0.1:8080 (or the next free port; EDGE_PORT
 * fixes it), its data (store, mail outbox) in `<repo>/.data/relay`, its log in a file. A relay
 * already answering there is reused.
 */
export async function startLocalRelay(
  repoRoot: string,
  env: NodeJS.ProcessEnv,
): Promise<LocalRelay> {
  const port = env.RELAY_PORT ?? '8787';
  const url = `http://127.0.0.1:${port}`;
  if (await healthy(url)) {
    return { url, launched: null, stop: async () => undefined };
  }
  const dataDir = path.resolve(repoRoot, env.RELAY_DATA_DIR ?? '.data/relay');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const edgePort = env.EDGE_PORT
    ? Number(env.EDGE_PORT)
    : await firstFreePort(env.EDGE_HOST ?? EDGE_HOST, EDGE_FIRST_PORT, EDGE_PORTS_TRIED);
  const logFile = path.join(path.dirname(dataDir), 'relay.log');
  const log = createWriteStream(logFile, { flags: 'a', mode: 0o600 });
  // The launcher's loader flags (tsx from source), not a debugger's: its port is taken.
  const nodeArgs = process.execArgv.filter((a) => !a.startsWith('--inspect'));
  const child = spawn(process.execPath, [...nodeArgs, relayEntry(repoRoot)], {
    env: localRelayEnv(env, { port, dataDir, edgePort }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = once(child, 'exit');
  for (let i = 0; i < 200; i++) {
    if (await healthy(url)) {
      return {
        url,
        launched: { edgePort, dataDir, logFile },
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      };
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`The local relay did not start; see ${logFile}`);
}
