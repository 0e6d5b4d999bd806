import { homedir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { LogEntry } from '../desktop/desktopApi.js';
import { createManager } from '../manager/createManager.js';
import type { Manager } from '../manager/manager.js';
import { createMemorySecretStore } from '../secrets/memorySecretStore.js';
import { createSecretStore } from '../secrets/createSecretStore.js';
import { SecretError } from '../secrets/secretError.js';
import type { SecretStore } from '../secrets/secretStore.js';
import { CliError, hintFor, type Io } from './output.js';
import { removeStatus, writeStatus } from './statusFiles.js';

export interface GlobalOptions {
  dataDir?: string;
  relay?: string;
  verbose?: boolean;
}

/** `--data-dir`, else CLOUD_CONNECT_DATA_DIR, else $XDG_CONFIG_HOME/cloud-connect or ~/.config/cloud-connect. */
export function resolveDataDir(opts: GlobalOptions, env: NodeJS.ProcessEnv): string {
  if (opts.dataDir) return path.resolve(opts.dataDir);
  if (env.CLOUD_CONNECT_DATA_DIR) return path.resolve(env.CLOUD_CONNECT_DATA_DIR);
  return path.join(env.XDG_CONFIG_HOME ?? path.join(homedir(), '.config'), 'cloud-connect');
}

export interface CliContext {
  dataDir: string;
  manager: Manager;
  secrets: SecretStore;
  /** Stop tunnels, remove status files. Calling it again waits for the first close. */
  close(): Promise<void>;
}

export interface OpenContextOptions {
  /** Fall back to secrets in memory when there is no keychain (the token came from the environment). */
  allowMemorySecrets?: boolean;
  /** Write a status file per connection for `cloud-connect status`. */
  writeStatusFiles?: boolean;
}

/**
 * Open the Manager the CLI drives. The secret store is the keychain (or the encrypted file with
 * CLOUD_CONNECT_SECRET_KEY); a headless agent that was handed its token in the environment and
 * has neither falls back to memory for this run.
 */
export async function openContext(
  opts: GlobalOptions,
  io: Io,
  env: NodeJS.ProcessEnv,
  { allowMemorySecrets = false, writeStatusFiles = false }: OpenContextOptions = {},
): Promise<CliContext> {
  const dataDir = resolveDataDir(opts, env);
  let secrets: SecretStore;
  try {
    secrets = createSecretStore({ dataDir, env });
    await secrets.listAccounts();
  } catch (e) {
    if (!(e instanceof SecretError)) throw e;
    if (e.code === 'NO_KEYCHAIN' && allowMemorySecrets) {
      io.err(
        'No keychain here: keys are kept in memory for this run (set CLOUD_CONNECT_SECRET_KEY to keep them).',
      );
      secrets = createMemorySecretStore();
    } else {
      throw new CliError(e.message, hintFor(e.code));
    }
  }
  const written = new Set<string>();
  // Status writes run one after another (they share a temp file name per connection), and close
  // waits for the last one, so no write lands after the file was removed.
  let statusWrites: Promise<void> = Promise.resolve();
  const logSink = (entry: LogEntry) => {
    if (entry.level === 'debug' && !opts.verbose) return;
    const label = entry.level === 'info' ? '' : `${entry.level}: `;
    io.err(`${entry.at.slice(11, 19)} ${label}${entry.message}`);
  };
  const manager = await createManager({
    dataDir,
    env,
    secrets,
    ...(env.CLOUD_CONNECT_RELAY_URL ? { defaultRelayUrl: env.CLOUD_CONNECT_RELAY_URL } : {}),
    logSink,
    ...(writeStatusFiles
      ? {
          onConnectionStatus: (c) => {
            written.add(c.id);
            statusWrites = statusWrites.then(() => writeStatus(dataDir, c)).catch(() => undefined);
          },
        }
      : {}),
  });
  const relay = opts.relay ?? env.CLOUD_CONNECT_RELAY_URL;
  if (relay) {
    const res = await manager.setRelayUrl(relay);
    if (!res.ok)
      throw new CliError(
        `--relay: ${res.message}`,
        'Give the relay as an http(s) URL, e.g. https://relay.example.com',
        2,
      );
  }
  let closed: Promise<void> | null = null;
  return {
    dataDir,
    manager,
    secrets,
    close() {
      closed ??= (async () => {
        await manager.shutdown();
        await statusWrites;
        await Promise.all([...written].map((id) => removeStatus(dataDir, id)));
      })();
      return closed;
    },
  };
}

/** Open the context for one command, run `fn` with it, and close it whatever happens. */
export async function withContext<T>(
  cmd: Command,
  io: Io,
  env: NodeJS.ProcessEnv,
  options: OpenContextOptions,
  fn: (ctx: CliContext) => Promise<T>,
): Promise<T> {
  const ctx = await openContext(cmd.optsWithGlobals<GlobalOptions>(), io, env, options);
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}
