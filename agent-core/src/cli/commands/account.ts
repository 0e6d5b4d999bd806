import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { answerAction, requestedRelay, withContext, type GlobalOptions } from '../context.js';
import { instanceStatusWords } from '../../status/statusWords.js';
import { CliError, table, unwrap, usageError, type Io } from '../output.js';
import { signInAtRelay } from '../signIn.js';
import { whenText } from '../timeFormat.js';

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

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function accountCommands(program: Command, io: Io, env: NodeJS.ProcessEnv): void {
  const now = () => ({ now: io.now?.() ?? new Date() });

  program
    .command('login')
    .description(
      'sign in to the relay (--relay, CLOUD_CONNECT_RELAY_URL or the saved one) and keep the session in the keychain; a failed sign-in changes nothing',
    )
    .requiredOption('--email <email>', 'your account email')
    .option('--password-stdin', 'read the password from stdin (never pass it as an argument)')
    .action(async (opts: { email: string; passwordStdin?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      if (!EMAIL.test(opts.email.trim()))
        throw usageError(
          `--email: "${opts.email}" is not an email address`,
          'Give the email you signed up with: cloud-connect login --email you@example.com',
        );
      // Checked before the password is read: a malformed URL fails at once.
      const relay = requestedRelay(globals, env);
      const password = await readPassword(io, Boolean(opts.passwordStdin));
      if (!password)
        throw usageError(
          'No password was given',
          'Pipe it in with --password-stdin, or type it at the prompt.',
        );
      await withContext(cmd, io, env, { applyRelay: false }, async (ctx) => {
        const session = await signInAtRelay(
          ctx,
          relay ?? ctx.settings.getRelayUrl(),
          opts.email.trim(),
          password,
        );
        if (globals.json) {
          io.out(JSON.stringify({ signedIn: true, ...session }, null, 2));
        } else {
          io.out(
            `Signed in to ${session.relayUrl} as ${session.user.email} (${session.user.subscription_plan} plan)`,
          );
        }
        if (!session.user.email_verified)
          io.err('Your email is not verified yet: open the link in the verification email.');
      });
    });

  program
    .command('logout')
    .description('forget the session (the tokens leave the keychain)')
    .action(
      answerAction(io, env, {
        read: async (ctx) => unwrap(await ctx.manager.signOut()),
        json: (session) => ({ signedIn: false, relayUrl: session.relayUrl }),
        text: () => 'Signed out.',
      }),
    );

  program
    .command('whoami')
    .description('the relay and the account this machine is signed in to')
    .action(
      answerAction(io, env, {
        read: async (ctx) => {
          const session = unwrap(await ctx.manager.getSession());
          if (!session.signedIn || !session.user)
            throw new CliError(
              'NOT_SIGNED_IN',
              `Not signed in (relay: ${session.relayUrl})`,
              'Sign in first: cloud-connect login --email you@example.com',
            );
          return { ...session, user: session.user };
        },
        text: ({ relayUrl, user }) =>
          `Signed in to ${relayUrl} as ${user.email} (${user.subscription_plan} plan${user.email_verified ? '' : ', email not verified'})`,
      }),
    );

  program
    .command('instances')
    .description('list your instances with their ids (connect --instance takes the id)')
    .action(
      answerAction(io, env, {
        read: async (ctx) => unwrap(await ctx.manager.listInstances()),
        text: (list) =>
          list.length === 0
            ? 'No instances yet. Create one in the desktop app.'
            : table(
                [
                  'ID',
                  'NAME',
                  'SUBDOMAIN',
                  'CUSTOM DOMAIN',
                  'PUBLIC URL',
                  'STATUS',
                  'TUNNEL IP',
                  'LAST SEEN',
                ],
                list.map((i) => {
                  // The words the Instances screen uses for the same state.
                  const status = instanceStatusWords(i);
                  return [
                    i.id,
                    i.name,
                    i.subdomain,
                    i.custom_domain ?? '-',
                    i.public_url ?? '-',
                    status.note ? `${status.words} (${status.note})` : status.words,
                    i.tunnel_ip,
                    whenText(i.last_seen, now()),
                  ];
                }),
              ),
      }),
    );
}
