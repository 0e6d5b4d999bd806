import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

export interface LocalRelay {
  url: string;
  /** null when a relay was already running at that address and is reused. */
  child: ChildProcess | null;
  logFile: string | null;
  stop(): Promise<void>;
}

/**
 * The relay for trying everything on one machine: the built relay-server as a child process on
 * 127.0.0.1:8787 with its data (store, mail outbox) in `<repo>/.data/relay`, its log in a file.
 * A relay already answering there is reused.
 */
export async function startLocalRelay(
  repoRoot: string,
  env: NodeJS.ProcessEnv,
): Promise<LocalRelay> {
  const port = env.RELAY_PORT ?? '8787';
  const url = `http://127.0.0.1:${port}`;
  if (await healthy(url)) return { url, child: null, logFile: null, stop: async () => undefined };
  const dataDir = path.resolve(repoRoot, env.RELAY_DATA_DIR ?? '.data/relay');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const logFile = path.join(path.dirname(dataDir), 'relay.log');
  const log = createWriteStream(logFile, { flags: 'a', mode: 0o600 });
  const child = spawn(process.execPath, [path.join(repoRoot, 'relay-server/dist/server.js')], {
    // A one-machine trial has no WireGuard server, so no edge either (and its port stays free
    // for the app you are trying it with); set EDGE_MODE to have one.
    env: {
      EDGE_MODE: 'off',
      ...env,
      RELAY_HOST: '127.0.0.1',
      RELAY_PORT: port,
      RELAY_DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  for (let i = 0; i < 100; i++) {
    if (await healthy(url)) {
      return {
        url,
        child,
        logFile,
        async stop() {
          child.kill('SIGTERM');
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
