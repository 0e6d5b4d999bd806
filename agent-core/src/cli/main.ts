import { Command, CommanderError } from 'commander';
import { toFailure } from '../manager/results.js';
import { accountCommands } from './commands/account.js';
import { tunnelCommands } from './commands/tunnels.js';
import {
  CliError,
  EXIT_FAILED,
  EXIT_USAGE,
  hintFor,
  processIo,
  reportError,
  type Io,
} from './output.js';

export const CLI_VERSION = '0.1.0';

/** Build the `cloud-connect` program; `exit` receives the exit code of long-running commands. */
export function buildProgram(
  io: Io,
  env: NodeJS.ProcessEnv,
  exit: (code: number) => void,
  { json = false }: { json?: boolean } = {},
): Command {
  const program = new Command('cloud-connect')
    .description(
      'Cloud Connect agent: put a self-hosted app online through WireGuard or a Cloudflare Tunnel',
    )
    .version(CLI_VERSION)
    .option(
      '--data-dir <dir>',
      'settings and status files (default: CLOUD_CONNECT_DATA_DIR or ~/.config/cloud-connect)',
    )
    .option('--relay <url>', 'the relay to use (default: CLOUD_CONNECT_RELAY_URL or the saved one)')
    .option('--json', 'print results, and errors, as JSON on stdout')
    .option('--verbose', 'show debug log lines')
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      // With --json, commander's own error text is replaced by the JSON error (runCli).
      writeErr: (s) => (json ? undefined : io.err(s.trimEnd())),
      outputError: (s, write) => (json ? undefined : write(s)),
    });
  if (!json) program.showHelpAfterError('(run cloud-connect --help for usage)');
  accountCommands(program, io, env);
  tunnelCommands(program, io, env, exit);
  return program;
}

/** `--json` anywhere before `--`: known before parsing, so usage errors are JSON too. */
function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** The command a command line names ("connect", "cloudflare run"), for the usage hint. */
function commandPath(program: Command, argv: string[]): string[] {
  const path: string[] = [];
  let at: Command = program;
  for (const arg of argv) {
    if (arg === '--') break;
    const sub = at.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!sub) continue;
    path.push(sub.name());
    at = sub;
  }
  return path;
}

/** Any failure as a CliError: commander's usage errors, the CLI's own, the Manager's. */
function asCliError(e: unknown, program: Command, argv: string[]): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof CommanderError) {
    const cmd = ['cloud-connect', ...commandPath(program, argv)].join(' ');
    return new CliError(
      'USAGE',
      e.message.replace(/^error: /, ''),
      `Run ${cmd} --help for usage.`,
      EXIT_USAGE,
    );
  }
  const failure = toFailure(e);
  return new CliError(
    failure.code,
    failure.code === 'INTERNAL' && e instanceof Error ? e.message : failure.message,
    hintFor(failure.code),
    EXIT_FAILED,
  );
}

/** Run the CLI; resolves with the exit code (0 ok, 1 failure, 2 usage). */
export async function runCli(
  argv: string[],
  io: Io = processIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let code = 0;
  const json = wantsJson(argv);
  const program = buildProgram(
    io,
    env,
    (c) => {
      code = c;
    },
    { json },
  );
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    // --help and --version end the parse with a CommanderError whose exit code is 0.
    if (e instanceof CommanderError && e.exitCode === 0) return 0;
    const failure = asCliError(e, program, argv);
    reportError(io, failure, json);
    return failure.exitCode;
  }
}
