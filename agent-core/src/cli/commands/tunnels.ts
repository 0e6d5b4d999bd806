import type { Command } from 'commander';
import { secretAccounts } from '../../secrets/secretAccounts.js';
import { resolveDataDir, withContext, type GlobalOptions } from '../context.js';
import { runForeground } from '../foreground.js';
import { CliError, formatDuration, table, unwrap, type Io } from '../output.js';
import { readStatuses } from '../statusFiles.js';

const TARGET_HELP = 'where traffic goes on this machine, e.g. http://localhost:8080';

export function tunnelCommands(
  program: Command,
  io: Io,
  env: NodeJS.ProcessEnv,
  exit: (code: number) => void,
): void {
  program
    .command('connect')
    .description(
      'run a WireGuard tunnel for an instance in the foreground (stop with Ctrl-C or SIGTERM)',
    )
    .requiredOption('--instance <id>', 'the instance id (cloud-connect instances lists them)')
    .requiredOption('--target <url>', TARGET_HELP)
    .option('--name <name>', 'a name for this connection')
    .action(async (opts: { instance: string; target: string; name?: string }, cmd: Command) => {
      const fromEnv = env.CLOUD_CONNECT_INSTANCE_TOKEN?.trim();
      const contextOptions = { allowMemorySecrets: Boolean(fromEnv), writeStatusFiles: true };
      await withContext(cmd, io, env, contextOptions, async (ctx) => {
        if (!fromEnv && !(await ctx.secrets.get(secretAccounts.instanceToken(opts.instance)))) {
          throw new CliError(
            `There is no instance token for ${opts.instance} on this machine`,
            'Set CLOUD_CONNECT_INSTANCE_TOKEN to the token shown when the instance was created (or regenerate it).',
          );
        }
        // Through the Manager, so the connection it reports knows it has a token.
        const instanceToken = fromEnv ? { instanceToken: fromEnv } : {};
        const existing = unwrap(await ctx.manager.listConnections()).find(
          (c) => c.kind === 'wireguard' && c.instanceId === opts.instance,
        );
        const conn = existing
          ? unwrap(
              await ctx.manager.updateConnection(existing.id, {
                target: opts.target,
                ...(opts.name ? { name: opts.name } : {}),
                ...instanceToken,
              }),
            )
          : unwrap(
              await ctx.manager.addConnection({
                kind: 'wireguard',
                name: opts.name ?? `Instance ${opts.instance}`,
                instanceId: opts.instance,
                target: opts.target,
                enabled: true,
                ...instanceToken,
              }),
            );
        io.err(`Connecting ${conn.name} (${opts.instance}) → ${opts.target}`);
        exit(await runForeground(ctx, conn.id, io));
      });
    });

  const cloudflare = program.command('cloudflare').description('Cloudflare Tunnel (cloudflared)');
  cloudflare
    .command('run')
    .description(
      'run a Cloudflare tunnel in the foreground; the token comes from TUNNEL_TOKEN or the keychain',
    )
    .option(
      '--name <name>',
      'the connection to run (or to create with TUNNEL_TOKEN)',
      'Cloudflare tunnel',
    )
    .option('--target <url>', TARGET_HELP)
    .action(async (opts: { name: string; target?: string }, cmd: Command) => {
      const token = env.TUNNEL_TOKEN?.trim();
      const contextOptions = { allowMemorySecrets: Boolean(token), writeStatusFiles: true };
      await withContext(cmd, io, env, contextOptions, async (ctx) => {
        const list = unwrap(await ctx.manager.listConnections()).filter(
          (c) => c.kind === 'cloudflare',
        );
        let conn = list.find((c) => c.name === opts.name);
        if (conn && token)
          conn = unwrap(
            await ctx.manager.updateConnection(conn.id, {
              token,
              ...(opts.target ? { target: opts.target } : {}),
            }),
          );
        if (!conn && token) {
          conn = unwrap(
            await ctx.manager.addConnection({
              kind: 'cloudflare',
              name: opts.name,
              token,
              target: opts.target ?? null,
              enabled: true,
            }),
          );
        }
        if (!conn || !conn.hasToken) {
          throw new CliError(
            'No Cloudflare tunnel token',
            'Set TUNNEL_TOKEN to the token from the Cloudflare dashboard (Zero Trust → Networks → Tunnels).',
            2,
          );
        }
        exit(await runForeground(ctx, conn.id, io));
      });
    });

  program
    .command('status')
    .description('the status of the tunnels agents run on this machine')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const records = await readStatuses(resolveDataDir(cmd.optsWithGlobals<GlobalOptions>(), env));
      const rows = records.map((r) => ({
        ...r.connection,
        status: r.running
          ? r.connection.status
          : {
              ...r.connection.status,
              status: 'disconnected' as const,
              is_running: false,
              is_connected: false,
            },
        agent_pid: r.running ? r.pid : null,
        updated_at: r.updatedAt,
      }));
      if (opts.json) {
        io.out(JSON.stringify(rows, null, 2));
        return;
      }
      if (!rows.length) {
        io.out(
          'No tunnel is running. Start one with: cloud-connect connect … or cloud-connect cloudflare run',
        );
        return;
      }
      io.out(
        table(
          ['NAME', 'KIND', 'STATE', 'HOSTNAME', 'UPTIME', 'RECONNECTS', 'ERROR'],
          rows.map((c) => [
            c.name,
            c.kind,
            c.agent_pid ? c.status.status : 'not running',
            c.status.hostname ?? '-',
            c.status.is_connected
              ? formatDuration(
                  c.status.uptime_seconds + (Date.now() - Date.parse(c.updated_at)) / 1000,
                )
              : '-',
            String(c.status.reconnect_count),
            c.status.error ?? '-',
          ]),
        ),
      );
    });

  program
    .command('test')
    .description(
      'try a Cloudflare tunnel token (TUNNEL_TOKEN) or a saved connection, and report latency and hostname',
    )
    .option('--connection <id>', 'a saved connection to test instead of TUNNEL_TOKEN')
    .option('--json', 'print JSON')
    .action(async (opts: { connection?: string; json?: boolean }, cmd: Command) => {
      const token = env.TUNNEL_TOKEN?.trim();
      if (!opts.connection && !token) {
        throw new CliError('Nothing to test', 'Set TUNNEL_TOKEN, or pass --connection <id>.', 2);
      }
      await withContext(cmd, io, env, { allowMemorySecrets: !opts.connection }, async (ctx) => {
        io.err('Testing the tunnel (up to 30 s)…');
        const result = unwrap(
          await ctx.manager.testConnection(
            opts.connection ? { id: opts.connection } : { kind: 'cloudflare', token: token ?? '' },
          ),
        );
        if (opts.json) io.out(JSON.stringify(result, null, 2));
        else if (result.success)
          io.out(
            `Success: connected in ${result.latency_ms} ms${result.hostname ? `, serving ${result.hostname}` : ''}`,
          );
        else io.out(`Failed: ${result.error}`);
        if (!result.success) exit(1);
      });
    });
}
