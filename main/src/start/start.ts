#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSecretStore } from '@cloud-connect/agent-core/secrets';
import { LOCAL_RELAY_DIR_VARIABLE } from '../host/localVerification.js';
import { runWebHost } from '../webhost/runWebHost.js';
import { findElectron } from './electronBinary.js';
import { startLocalRelay, type LocalRelay } from './localRelay.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Without a keychain (a server, a container), a local trial keeps its secrets in the encrypted
 * file with a key generated once into the trial's own data dir, and says so.
 */
async function ensureSecretKey(env: NodeJS.ProcessEnv, dataDir: string): Promise<void> {
  if (env.CLOUD_CONNECT_SECRET_KEY) return;
  try {
    await createSecretStore({ dataDir, env, backend: 'keychain' }).listAccounts();
    return;
  } catch {
    const keyFile = path.join(dataDir, 'trial-secret-key');
    let key = (await readFile(keyFile, 'utf8').catch(() => '')).trim();
    if (!key) {
      key = randomBytes(32).toString('base64url');
      await writeFile(keyFile, `${key}\n`, { mode: 0o600 });
    }
    env.CLOUD_CONNECT_SECRET_KEY = key;
    console.log(
      `No keychain (Secret Service) is reachable in this session, so secrets go to an encrypted file in ${dataDir}\n` +
        'with a key kept beside it — fine for a local trial; for real use run in a desktop session or set CLOUD_CONNECT_SECRET_KEY.\n',
    );
  }
}

/** A path as the user reads it: from the repo when it lies inside, else as it is. */
function shown(file: string): string {
  const relative = path.relative(repoRoot, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

async function main(): Promise<void> {
  const env = { ...process.env };
  let relay: LocalRelay | null = null;
  if (!env.CLOUD_CONNECT_RELAY_URL) {
    relay = await startLocalRelay(repoRoot, env);
    env.CLOUD_CONNECT_RELAY_URL = relay.url;
    const { launched } = relay;
    if (launched) {
      // The app may open this relay's mail outbox: sign-up's verification becomes one click.
      env[LOCAL_RELAY_DIR_VARIABLE] = launched.dataDir;
      console.log(
        `Local relay on ${relay.url} (data and mail outbox in ${shown(launched.dataDir)}, log in ${shown(launched.logFile)})\n` +
          `Edge: http://<subdomain>.localhost:${launched.edgePort}/ — the public address of every app you connect\n`,
      );
    } else {
      console.log(`Using the relay already running on ${relay.url}`);
    }
  }
  env.CLOUD_CONNECT_DATA_DIR ??= path.join(repoRoot, '.data/desktop');
  await mkdir(env.CLOUD_CONNECT_DATA_DIR, { recursive: true, mode: 0o700 });

  const electron = findElectron();
  if (electron.path !== null) {
    console.log('Starting the Cloud Connect desktop app…');
    const child = spawn(electron.path, [path.join(repoRoot, 'main/dist/electron/main.js')], {
      env,
      stdio: 'inherit',
    });
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    await relay?.stop();
    process.exit(code ?? 0);
  }

  console.log(
    `No Electron binary is installed here (${'reason' in electron ? electron.reason : 'not found'}).\nServing the same app to your browser instead.\n`,
  );
  await ensureSecretKey(env, env.CLOUD_CONNECT_DATA_DIR);
  const port = env.CLOUD_CONNECT_WEB_PORT ? Number(env.CLOUD_CONNECT_WEB_PORT) : 5174;
  const web = await runWebHost({ env, port });
  console.log(`Open Cloud Connect in your browser:\n\n  ${web.url}\n\nStop with Ctrl-C.`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await web.stop();
      await relay?.stop();
      process.exit(0);
    })();
  };
  // `on`, not `once`: execa's exit hook (signal-exit) re-raises a signal that no other listener
  // is left to handle, which would kill the process before its children are stopped.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(`Cloud Connect could not start: ${(e as Error).message}`);
  process.exit(1);
});
