import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is `e2e/harness/relayProcess.ts`). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Node flags that run the TypeScript sources directly (the way a developer runs them). */
export const TSX_NODE_ARGS = ['--import', 'tsx', '--conditions=@cloud-connect/source'];

/** A server script running as a child process, found by the URL it printed. */
export interface ServerProcess {
  /** The URL the server printed, e.g. `http://127.0.0.1:<port>`. */
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** `kill -9`: no shutdown code runs. Resolves once the process is gone. */
  crash(): Promise<void>;
  /** SIGTERM (clean shutdown), SIGKILL after `graceMs`. Resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export type RelayProcess = ServerProcess;

export interface ServerProcessOptions {
  /** The line that says the server listens; its first group is the URL. */
  printed: RegExp;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Extra node flags, e.g. `--cpu-prof` for profiling. */
  nodeArgs?: string[];
}

/**
 * Start a TypeScript server script (a path from the repo root) under tsx, the way a developer
 * runs it, as a child process. Resolves once it prints the line that gives its URL.
 */
export async function startServerProcess(
  script: string,
  { printed, env = {}, timeoutMs = 60_000, nodeArgs = [] }: ServerProcessOptions,
): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [...nodeArgs, ...TSX_NODE_ARGS, path.join(REPO_ROOT, script)],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = once(child, 'exit');
  const gone = () => child.exitCode !== null || child.signalCode !== null;

  const deadline = Date.now() + timeoutMs;
  let url: string | undefined;
  while (!url) {
    url = printed.exec(out)?.[1];
    if (url) break;
    if (gone() || Date.now() > deadline) {
      if (!gone()) child.kill('SIGKILL');
      throw new Error(`${script} did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }

  return {
    url,
    child,
    output: () => out,
    async crash() {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 10_000) {
      if (gone()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Start the real relay-server (`relay-server/src/server.ts` under tsx, the way a developer
 * runs it) as a child process on a loopback port the OS picks, with `env` added to the
 * environment (RELAY_DATA_DIR at least). Resolves once it prints its URL.
 */
export function startRelayProcess(
  env: Record<string, string>,
  options: Omit<ServerProcessOptions, 'printed' | 'env'> = {},
): Promise<RelayProcess> {
  return startServerProcess('relay-server/src/server.ts', {
    ...options,
    printed: /Cloud Connect relay on (http:\/\/[^\s]+)/,
    env: {
      RELAY_HOST: '127.0.0.1',
      RELAY_PORT: '0',
      RELAY_BASE_DOMAIN: 'cloud.test',
      // No edge unless a test asks: parallel relays must not all bind its port.
      EDGE_MODE: 'off',
      ...env,
    },
  });
}
