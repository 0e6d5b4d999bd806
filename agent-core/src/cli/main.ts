import { Command, CommanderError } from 'commander';
import { accountCommands } from './commands/account.js';
import { tunnelCommands } from './commands/tunnels.js';
import { CliError, processIo, type Io } from './output.js';

export const CLI_VERSION = '0.1.0';

/** Build the `cloud-connect` program; `exit` receives the exit code of long-running commands. */
export function buildProgram(
  io: Io,
  env: NodeJS.ProcessEnv,
  exit: (code: number) => void,
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
    .option('--verbose', 'show debug log lines')
    .showHelpAfterError('(run cloud-connect --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => io.err(s.trimEnd()),
    });
  accountCommands(program, io, env);
  tunnelCommands(program, io, env, exit);
  return program;
}

/** Run the CLI; resolves with the exit code (0 ok, 1 failure, 2 usage). */
export async function runCli(
  argv: string[],
  io: Io = processIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let code = 0;
  const program = buildProgram(io, env, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof CliError) {
      io.err(`Error: ${e.message}`);
      io.err(`What to do: ${e.hint}`);
      return e.exitCode;
    }
    io.err(`Error: ${(e as Error).message}`);
    io.err('What to do: run again with --verbose; if it keeps failing, report the output.');
    return 1;
  }
}
