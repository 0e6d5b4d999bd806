import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { withContext } from '../context.js';
import { CliError, table, unwrap, type Io } from '../output.js';

/** Read a password from stdin: the whole input when piped, or a hidden prompt on a terminal. */
async function readPassword(io: Io, fromStdin: boolean): Promise<string> {
  if (fromStdin || !process.stdin.isTTY) {
    let data = '';
    for await (const chunk of process.stdin) data += String(chunk);
    return data.replace(/\r?\n$/, '');
  }
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    // Echo nothing while the password is typed.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
    io.err('Password: ');
    rl.question('', (answer) => {
      rl.close();
      io.err('');
      resolve(answer);
    });
  });
}

export function accountCommands(program: Command, io: Io, env: NodeJS.ProcessEnv): void {
  program
    .command('login')
    .description('sign in to the relay and keep the session in the keychain')
    .requiredOption('--email <email>', 'your account email')
    .option('--password-stdin', 'read the password from stdin (never pass it as an argument)')
    .action(async (opts: { email: string; passwordStdin?: boolean }, cmd: Command) => {
      const password = await readPassword(io, Boolean(opts.passwordStdin));
      if (!password)
        throw new CliError(
          'No password was given',
          'Pipe it in with --password-stdin, or type it at the prompt.',
          2,
        );
      await withContext(cmd, io, env, {}, async (ctx) => {
        const session = unwrap(await ctx.manager.signIn(opts.email, password));
        io.out(
          `Signed in to ${session.relayUrl} as ${session.user?.email} (${session.user?.subscription_plan} plan)`,
        );
        if (session.user && !session.user.email_verified)
          io.err('Your email is not verified yet: open the link in the verification email.');
      });
    });

  program
    .command('logout')
    .description('forget the session (the tokens leave the keychain)')
    .action(async (_opts: unknown, cmd: Command) => {
      await withContext(cmd, io, env, {}, async (ctx) => {
        unwrap(await ctx.manager.signOut());
        io.out('Signed out.');
      });
    });

  program
    .command('instances')
    .description('list your instances')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withContext(cmd, io, env, {}, async (ctx) => {
        const list = unwrap(await ctx.manager.listInstances());
        if (opts.json) {
          io.out(JSON.stringify(list, null, 2));
          return;
        }
        if (!list.length) {
          io.out('No instances yet. Create one in the desktop app.');
          return;
        }
        io.out(
          table(
            ['ID', 'NAME', 'SUBDOMAIN', 'CUSTOM DOMAIN', 'STATUS', 'TUNNEL IP', 'LAST SEEN'],
            list.map((i) => [
              i.id,
              i.name,
              i.subdomain,
              i.custom_domain ?? '-',
              i.status,
              i.tunnel_ip,
              i.last_seen ?? 'never',
            ]),
          ),
        );
      });
    });
}
