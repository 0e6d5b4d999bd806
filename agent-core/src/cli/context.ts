import { statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { LogEntry } from '../desktop/desktopApi.js';
import { createManager } from '../manager/createManager.js';
import type { Manager } from '../manager/manager.js';
import { createMemorySecretStore } from '../secrets/memorySecretStore.js';
import { createSecretStore } from '../secrets/createSecretStore.js';
import { secretAccounts } from '../secrets/secretAccounts.js';
import { SecretError } from '../secrets/secretError.js';
import type { SecretStore } from '../secrets/secretStore.js';
import { openSettings, type SettingsStore } from '../settings/settingsStore.js';
import { cliDataDir } from '../status/dataDirs.js';
import { createStatusFileWriter } from '../status/statusFiles.js';
import { CliError, EXIT_USAGE, hintFor, usageError, type Io } from './output.js';
import { normalizeRelayUrl } from './relayUrl.js';
import { localTime } from './timeFormat.js';

export interface GlobalOptions {
  dataDir?: string;
  relay?: string;
  verbose?: boolean;
  json?: boolean;
}

/**
 * `--data-dir`, else CLOUD_CONNECT_DATA_DIR, else $XDG_CONFIG_HOME/cloud-connect or
 * ~/.config/cloud-connect. Something there that is not a directory is a usage error.
 */
export function resolveDataDir(opts: GlobalOptions, env: NodeJS.ProcessEnv): string {
  const dir = opts.dataDir ? path.resolve(opts.dataDir) : cliDataDir(env);
  const found = statSync(dir, { throwIfNoEntry: false });
  if (found && !found.isDirectory())
    throw usageError(
      `${opts.dataDir ? '--data-dir' : 'The data dir'}: ${dir} is not a directory`,
      'Give a directory (it is created if missing) with --data-dir or CLOUD_CONNECT_DATA_DIR.',
    );
  return dir;
}

/** The relay named by `--relay` or CLOUD_CONNECT_RELAY_URL, checked; undefined when neither is given. */
export function requestedRelay(opts: GlobalOptions, env: NodeJS.ProcessEnv): string | undefined {
  const raw = opts.relay ?? env.CLOUD_CONNECT_RELAY_URL;
  if (raw === undefined || raw === '') return undefined;
  const url = normalizeRelayUrl(raw);
  if (!url)
    throw usageError(
      `${opts.relay !== undefined ? '--relay' : 'CLOUD_CONNECT_RELAY_URL'}: "${raw}" is not an http(s) URL`,
      'Give the relay as an http(s) URL, e.g. https://relay.example.com',
    );
  return url;
}

export interface CliContext {
  dataDir: string;
  manager: Manager;
  secrets: SecretStore;
  settings: SettingsStore;
  /** Stop tunnels, remove status files. Calling it again waits for the first close. */
  close(): Promise<void>;
}

export interface OpenContextOptions {
  /** Fall back to secrets in memory when there is no keychain (the token came from the environment). */
  allowMemorySecrets?: boolean;
  /** Write a status file per connection for `cloud-connect status`, naming this runner. */
  statusRunner?: string;
  /**
   * Switch to the relay of `--relay` / CLOUD_CONNECT_RELAY_URL (default true). `login` says false:
   * it switches only once the new relay accepted the credentials.
   */
  applyRelay?: boolean;
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
  { allowMemorySecrets = false, statusRunner, applyRelay = true }: OpenContextOptions = {},
): Promise<CliContext> {
  const dataDir = resolveDataDir(opts, env);
  // Checked before anything is opened: a malformed URL changes nothing.
  const relay = applyRelay ? requestedRelay(opts, env) : undefined;
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
      throw new CliError(e.code, e.message, hintFor(e.code));
    }
  }
  const settings = await openSettings({
    dataDir,
    ...(env.CLOUD_CONNECT_RELAY_URL ? { defaultRelayUrl: env.CLOUD_CONNECT_RELAY_URL } : {}),
  });
  const switchTo = relay !== undefined && relay !== settings.getRelayUrl() ? relay : null;
  // A session belongs to its relay: switching signs it out, and only `login` does that.
  if (switchTo && (await secrets.get(secretAccounts.session))) {
    throw new CliError(
      'RELAY_MISMATCH',
      `You are signed in to ${settings.getRelayUrl()}, but this command was given ${switchTo} (${opts.relay !== undefined ? '--relay' : 'CLOUD_CONNECT_RELAY_URL'})`,
      `To switch relays, sign in there: cloud-connect login --relay ${switchTo} --email you@example.com (it replaces the session). Otherwise leave out --relay and CLOUD_CONNECT_RELAY_URL.`,
      EXIT_USAGE,
    );
  }
  const status = statusRunner ? createStatusFileWriter(dataDir, statusRunner) : null;
  const now = io.now ?? (() => new Date());
  const logSink = (entry: LogEntry) => {
    if (entry.level === 'debug' && !opts.verbose) return;
    const label = entry.level === 'info' ? '' : `${entry.level}: `;
    io.err(`${localTime(entry.at, { now: now() })} ${label}${entry.message}`);
  };
  // Built for the relay asked for: createManager saves it first (a failure is a CliError with
  // its code and hint, like any Manager failure, and changes nothing).
  const manager = await createManager({
    dataDir,
    env,
    settings,
    secrets,
    logSink,
    ...(switchTo ? { relayUrl: switchTo, relayUrlLabel: `Relay ${switchTo}` } : {}),
    // This process writes its own status files (and removes them on close).
    statusRunner: null,
    ...(status ? { onConnectionStatus: (c) => status.write(c) } : {}),
  });
  let closed: Promise<void> | null = null;
  return {
    dataDir,
    manager,
    secrets,
    settings,
    close() {
      closed ??= (async () => {
        await manager.shutdown();
        await status?.close();
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

/** How a command that asks the Manager once prints its answer. */
export interface Answer<T> {
  /** Ask the Manager (unwrapping its Result); a throw is the command's error. */
  read(ctx: CliContext): Promise<T>;
  /** What --json prints (the answer itself when omitted). */
  json?(value: T): unknown;
  /** The words a person reads. */
  text(value: T): string;
}

/**
 * The commander action of a command that asks the Manager one thing and prints the answer:
 * JSON with --json, else its words.
 */
export function answerAction<T>(io: Io, env: NodeJS.ProcessEnv, answer: Answer<T>) {
  return async (_opts: unknown, cmd: Command): Promise<void> => {
    await withContext(cmd, io, env, {}, async (ctx) => {
      const value = await answer.read(ctx);
      if (cmd.optsWithGlobals<GlobalOptions>().json)
        io.out(JSON.stringify(answer.json ? answer.json(value) : value, null, 2));
      else io.out(answer.text(value));
    });
  };
}
