import type { Command } from 'commander';
import type { ConnectionView } from '../../desktop/desktopApi.js';
import { secretAccounts } from '../../secrets/secretAccounts.js';
import { RelayTransport } from '../../settings/settingsSchema.js';
import { desktopDataDir } from '../../status/dataDirs.js';
import { connectionStatusWords } from '../../status/statusWords.js';
import { readStatuses, statusDir } from '../../status/statusFiles.js';
import { transportWords } from '../../status/transportWords.js';
import { answerAction, resolveDataDir, withContext, type GlobalOptions } from '../context.js';
import { runForeground } from '../foreground.js';
import { instanceIdOfToken } from '../instanceToken.js';
import { CliError, table, unwrap, usageError, type Io } from '../output.js';
import { formatDuration, whenText } from '../timeFormat.js';

const TARGET_HELP = 'where traffic goes on this machine, e.g. http://localhost:8080';

interface ConnectOptions {
  instance?: string;
  target: string;
  name?: string;
  transport?: string;
}

/** The target as the Manager takes it: an http(s) URL with a host, checked before anything runs. */
function checkTarget(raw: string): string {
  let url: URL | null;
  try {
    url = new URL(raw);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname)
    throw usageError(
      `--target: "${raw}" is not an http(s) URL`,
      'Give where the app listens on this machine, e.g. --target http://localhost:8080',
    );
  return raw;
}

/** `--transport` as the settings take it, checked before anything runs. */
function checkTransport(raw: string | undefined): RelayTransport | undefined {
  if (raw === undefined) return undefined;
  const parsed = RelayTransport.safeParse(raw);
  if (!parsed.success)
    throw usageError(
      `--transport: "${raw}" is not a transport: use auto, wireguard or stream`,
      'auto (the default) uses WireGuard when this machine allows it, else the stream transport; wireguard needs administrator rights and open UDP; stream works wherever HTTPS does.',
    );
  return parsed.data;
}

export function tunnelCommands(
  program: Command,
  io: Io,
  env: NodeJS.ProcessEnv,
  exit: (code: number) => void,
): void {
  const now = () => ({ now: io.now?.() ?? new Date() });

  program
    .command('connect')
    .description(
      'run a tunnel for an instance through the relay in the foreground (stop with Ctrl-C or SIGTERM); the instance is the one CLOUD_CONNECT_INSTANCE_TOKEN was made for unless --instance says otherwise',
    )
    .option('--instance <id>', 'the instance id (cloud-connect instances lists them)')
    .requiredOption('--target <url>', TARGET_HELP)
    .option('--name <name>', 'a name for this connection')
    .option(
      '--transport <auto|wireguard|stream>',
      'how to reach the relay: auto (WireGuard when this machine allows it, else the stream transport), wireguard (needs administrator rights and open UDP) or stream (HTTPS only, no privileges); default auto for a new connection, a saved one keeps its choice',
    )
    .action(async (opts: ConnectOptions, cmd: Command) => {
      const target = checkTarget(opts.target);
      const transport = checkTransport(opts.transport);
      const fromEnv = env.CLOUD_CONNECT_INSTANCE_TOKEN?.trim();
      const tokenInstance = fromEnv ? instanceIdOfToken(fromEnv) : null;
      if (fromEnv && !tokenInstance)
        throw new CliError(
          'INVALID_TOKEN',
          'CLOUD_CONNECT_INSTANCE_TOKEN is not an instance token',
          'Copy the whole instance token shown when the instance was created (or regenerate it in the desktop app).',
          2,
        );
      if (opts.instance && tokenInstance && opts.instance !== tokenInstance)
        throw usageError(
          `CLOUD_CONNECT_INSTANCE_TOKEN is the token of ${tokenInstance}, not of --instance ${opts.instance}`,
          `Leave out --instance to connect ${tokenInstance}, or set the token of ${opts.instance}.`,
        );
      const contextOptions = {
        allowMemorySecrets: Boolean(fromEnv),
        statusRunner: 'cloud-connect connect',
      };
      await withContext(cmd, io, env, contextOptions, async (ctx) => {
        let instanceId = opts.instance ?? tokenInstance;
        if (!instanceId) {
          // No token given: the instance whose token this machine keeps, if there is just one.
          const kept = (await ctx.secrets.listAccounts())
            .filter((a) => a.startsWith(secretAccounts.instanceToken('')))
            .map((a) => a.slice(secretAccounts.instanceToken('').length));
          if (kept.length !== 1 || !kept[0])
            throw usageError(
              kept.length
                ? `This machine keeps tokens of ${kept.length} instances (${kept.join(', ')}): which one?`
                : 'No instance to connect: there is no instance token here',
              kept.length
                ? 'Pass --instance <id> (cloud-connect instances lists the ids).'
                : 'Set CLOUD_CONNECT_INSTANCE_TOKEN to the token shown when the instance was created (or regenerate it).',
            );
          instanceId = kept[0];
        }
        if (!fromEnv && !(await ctx.secrets.get(secretAccounts.instanceToken(instanceId)))) {
          throw new CliError(
            'TOKEN_MISSING',
            `There is no instance token for ${instanceId} on this machine`,
            'Set CLOUD_CONNECT_INSTANCE_TOKEN to the token shown when the instance was created (or regenerate it).',
          );
        }
        // Through the Manager, so the connection it reports knows it has a token.
        const instanceToken = fromEnv ? { instanceToken: fromEnv } : {};
        const existing = unwrap(await ctx.manager.listConnections()).find(
          (c) => c.kind === 'relay' && c.instanceId === instanceId,
        );
        const conn = existing
          ? unwrap(
              await ctx.manager.updateConnection(existing.id, {
                target,
                ...(transport ? { transport } : {}),
                ...(opts.name ? { name: opts.name } : {}),
                ...instanceToken,
              }),
            )
          : unwrap(
              await ctx.manager.addConnection({
                kind: 'relay',
                name: opts.name ?? `Instance ${instanceId}`,
                instanceId,
                transport: transport ?? 'auto',
                target,
                enabled: true,
                ...instanceToken,
              }),
            );
        io.err(
          `Connecting ${conn.name} (${instanceId}) → ${target}, transport: ${conn.transport ?? 'auto'}`,
        );
        exit(
          await runForeground(ctx, conn.id, io, {
            json: Boolean(cmd.optsWithGlobals<GlobalOptions>().json),
          }),
        );
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
      const target = opts.target === undefined ? undefined : checkTarget(opts.target);
      const token = env.TUNNEL_TOKEN?.trim();
      const contextOptions = {
        allowMemorySecrets: Boolean(token),
        statusRunner: 'cloud-connect cloudflare run',
      };
      await withContext(cmd, io, env, contextOptions, async (ctx) => {
        const list = unwrap(await ctx.manager.listConnections()).filter(
          (c) => c.kind === 'cloudflare',
        );
        let conn = list.find((c) => c.name === opts.name);
        if (conn && token)
          conn = unwrap(
            await ctx.manager.updateConnection(conn.id, {
              token,
              ...(target ? { target } : {}),
            }),
          );
        if (!conn && token) {
          conn = unwrap(
            await ctx.manager.addConnection({
              kind: 'cloudflare',
              name: opts.name,
              token,
              target: target ?? null,
              enabled: true,
            }),
          );
        }
        if (!conn || !conn.hasToken) {
          throw new CliError(
            'TOKEN_MISSING',
            'No Cloudflare tunnel token',
            'Set TUNNEL_TOKEN to the token from the Cloudflare dashboard (Zero Trust → Networks → Tunnels).',
            2,
          );
        }
        exit(
          await runForeground(ctx, conn.id, io, {
            json: Boolean(cmd.optsWithGlobals<GlobalOptions>().json),
          }),
        );
      });
    });

  program
    .command('connections')
    .description(
      'the connections saved on this machine, with their ids (test --connection takes one)',
    )
    .action(
      answerAction(io, env, {
        read: async (ctx) => unwrap(await ctx.manager.listConnections()),
        text: (list) =>
          list.length === 0
            ? 'No saved connections. cloud-connect connect or cloud-connect cloudflare run saves one.'
            : table(
                ['ID', 'NAME', 'KIND', 'TRANSPORT', 'INSTANCE', 'TARGET', 'TOKEN'],
                list.map((c: ConnectionView) => [
                  c.id,
                  c.name,
                  c.kind,
                  c.transport ?? '-',
                  c.instanceId ?? '-',
                  c.target ?? '-',
                  c.hasToken ? 'kept' : 'missing',
                ]),
              ),
      }),
    );

  program
    .command('status')
    .description(
      'the tunnels running on this machine, in the desktop app or in cloud-connect connect / cloudflare run: who runs them, state, public URL',
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const dirs = [...new Set([resolveDataDir(globals, env), desktopDataDir(env)])];
      const records = await readStatuses(dirs);
      const rows = records.map((r) => ({
        ...r.connection,
        runner: r.runner,
        agent_pid: r.pid,
        updated_at: r.updatedAt,
        data_dir: r.dataDir,
      }));
      if (globals.json) {
        io.out(JSON.stringify(rows, null, 2));
        return;
      }
      if (!rows.length) {
        io.out(
          'No tunnel is running on this machine. Start one with: cloud-connect connect --target http://localhost:8080, or cloud-connect cloudflare run',
        );
        io.out(`(looked in ${dirs.map(statusDir).join(' and ')})`);
        return;
      }
      const at = now();
      io.out(
        table(
          [
            'NAME',
            'KIND',
            'TRANSPORT',
            'STATE',
            'PUBLIC URL',
            'UPTIME',
            'RECONNECTS',
            'RUN BY',
            'UPDATED',
            'NOTE',
          ],
          rows.map((c) => [
            c.name,
            c.kind,
            // The path in use and, for auto, why: the connection card's words.
            transportWords(c)?.summary ?? '-',
            // The words the desktop app and the tray use for the same state.
            connectionStatusWords(c).words,
            c.publicUrl ?? '-',
            c.status.is_connected
              ? formatDuration(
                  c.status.uptime_seconds + (at.now.getTime() - Date.parse(c.updated_at)) / 1000,
                )
              : '-',
            String(c.status.reconnect_count),
            `${c.runner} (pid ${c.agent_pid})`,
            whenText(c.updated_at, at),
            c.status.error ?? connectionStatusWords(c).note ?? '-',
          ]),
        ),
      );
    });

  program
    .command('test')
    .description(
      'try a Cloudflare tunnel token (TUNNEL_TOKEN) or a saved connection, and report latency and hostname',
    )
    .option(
      '--connection <id>',
      'a saved connection to test instead of TUNNEL_TOKEN (cloud-connect connections lists them)',
    )
    .action(async (opts: { connection?: string }, cmd: Command) => {
      const json = Boolean(cmd.optsWithGlobals<GlobalOptions>().json);
      const token = env.TUNNEL_TOKEN?.trim();
      if (!opts.connection && !token) {
        throw usageError('Nothing to test', 'Set TUNNEL_TOKEN, or pass --connection <id>.');
      }
      await withContext(cmd, io, env, { allowMemorySecrets: !opts.connection }, async (ctx) => {
        io.err('Testing the tunnel (up to 30 s)…');
        const result = unwrap(
          await ctx.manager.testConnection(
            opts.connection ? { id: opts.connection } : { kind: 'cloudflare', token: token ?? '' },
          ),
        );
        if (json) io.out(JSON.stringify(result, null, 2));
        else if (result.success)
          io.out(
            // A tunnel running elsewhere is reported as the relay sees it: no latency, a note.
            `Success: ${result.latency_ms !== null ? `connected in ${result.latency_ms} ms` : 'connected'}${result.hostname ? `, serving ${result.hostname}` : ''}${result.note ? `\n${result.note}` : ''}`,
          );
        else io.out(`Failed: ${result.error}`);
        if (!result.success) exit(1);
      });
    });
}
