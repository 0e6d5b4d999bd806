import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

/**
 * A private D-Bus session bus and a real gnome-keyring (Secret Service) for tests, in a temp dir
 * so the developer's own keyring is never touched. The same thing FACTS.md's
 * `dbus-run-session -- sh -c 'echo -n pw | gnome-keyring-daemon --unlock --components=secrets'`
 * does, but with both daemons as tracked children so teardown is certain.
 */

export interface TestBus {
  /** `DBUS_SESSION_BUS_ADDRESS` of the private bus. */
  readonly address: string;
  readonly dir: string;
  stop(): Promise<void>;
}

export interface TestKeyring {
  /** `DBUS_SESSION_BUS_ADDRESS` of the private bus the keyring is on. */
  readonly busAddress: string;
  /** Environment for child processes that should use this keyring (keytar, secret-tool). */
  readonly env: NodeJS.ProcessEnv;
  /** Reads a keytar-stored secret with libsecret's own `secret-tool` CLI; null when absent. */
  lookupWithSecretTool(service: string, account: string): Promise<string | null>;
  /** Reads a secret with keytar in a separate Node process; null when absent. */
  readWithKeytarProcess(service: string, account: string): Promise<string | null>;
  /** Locks the default collection, as a screen lock would; unlocking needs a prompt, so do this last. */
  lock(): Promise<void>;
  /** Stops the keyring and the bus (SIGTERM, wait for exit), restores the env, removes the dir. */
  stop(): Promise<void>;
}

export interface StartTestKeyringOptions {
  /** Keyring password fed to `gnome-keyring-daemon --unlock` on stdin. */
  password?: string;
  /** Point this process's `DBUS_SESSION_BUS_ADDRESS` at the keyring (before keytar is first used). Default true. */
  useInThisProcess?: boolean;
  /** How long to wait for each daemon. */
  timeoutMs?: number;
}

/** True when `name` is an executable on PATH. */
export function hasCommand(name: string): boolean {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .some((dir) => dir !== '' && existsSync(join(dir, name)));
}

/**
 * Whether keyring tests should run: the daemons are installed, or this is CI (where .ci/run
 * installs them, so a missing one must fail the run instead of skipping silently).
 */
export function canStartTestKeyring(): boolean {
  if (process.env.CI === 'true') return true;
  return hasCommand('dbus-daemon') && hasCommand('gnome-keyring-daemon') && hasCommand('dbus-send');
}

function run(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = execFile(
      file,
      args,
      { env, timeout: 10_000, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') reject(err);
        else resolveRun({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

async function stopChild(child: ChildProcess, timeoutMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

/** A daemon's first stdout line, or its stderr when it exits first. */
function firstLine(child: ChildProcess, what: string, timeoutMs: number): Promise<string> {
  return new Promise((resolveLine, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(
      () => reject(new Error(`${what} did not start within ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    );
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolveLine(line.trim());
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${stderr}`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * Starts a private session bus (`dbus-daemon` with its own config: no service activation, so
 * nothing on the machine gets auto-started on it). Used alone it is a bus with no Secret Service.
 */
export async function startTestBus(options: { timeoutMs?: number } = {}): Promise<TestBus> {
  const dir = await mkdtemp(join(tmpdir(), 'cc-dbus-'));
  const socket = join(dir, 'bus');
  const config = join(dir, 'session.conf');
  await writeFile(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
  );
  const daemon = spawn(
    'dbus-daemon',
    [`--config-file=${config}`, '--nofork', '--print-address=1'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  try {
    const address = await firstLine(daemon, 'dbus-daemon', options.timeoutMs ?? 10_000);
    return {
      address,
      dir,
      async stop() {
        await stopChild(daemon);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopChild(daemon);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Polls the Secret Service until its default collection exists (the unlocked login keyring). */
async function waitForSecretService(
  env: NodeJS.ProcessEnv,
  daemon: ChildProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (daemon.exitCode !== null)
      throw new Error(`gnome-keyring-daemon exited with ${daemon.exitCode}`);
    const reply = await run(
      'dbus-send',
      [
        '--session',
        '--print-reply',
        '--dest=org.freedesktop.secrets',
        '/org/freedesktop/secrets',
        'org.freedesktop.Secret.Service.ReadAlias',
        'string:default',
      ],
      env,
    );
    last = reply.stdout + reply.stderr;
    if (
      reply.code === 0 &&
      /object path "\/org\/freedesktop\/secrets\/collection\//.test(reply.stdout)
    )
      return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the Secret Service did not come up within ${timeoutMs} ms: ${last}`);
}

const KEYTAR_READ = `
const keytar = require(process.argv[1]);
keytar.getPassword(process.argv[2], process.argv[3]).then(
  (v) => process.stdout.write(JSON.stringify({ value: v })),
  (e) => { process.stderr.write(String(e && e.message)); process.exit(2); },
);
`;

/**
 * Starts a private bus and `gnome-keyring-daemon --unlock --components=secrets` on it, with HOME
 * and the XDG dirs in a temp dir. By default this process's `DBUS_SESSION_BUS_ADDRESS` points at
 * it until `stop()`; keytar must not have been used in this process before (libsecret keeps its
 * first bus connection), so start it in `beforeAll`.
 */
export async function startTestKeyring(
  options: StartTestKeyringOptions = {},
): Promise<TestKeyring> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const bus = await startTestBus({ timeoutMs });
  const home = join(bus.dir, 'home');
  const runtime = join(bus.dir, 'run');
  await mkdir(home, { recursive: true, mode: 0o700 });
  await mkdir(runtime, { recursive: true, mode: 0o700 });
  await chmod(runtime, 0o700);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_RUNTIME_DIR: runtime,
    DBUS_SESSION_BUS_ADDRESS: bus.address,
  };
  const keyring = spawn(
    'gnome-keyring-daemon',
    ['--foreground', '--unlock', '--components=secrets'],
    {
      env,
      stdio: ['pipe', 'ignore', 'pipe'],
    },
  );
  let keyringErr = '';
  keyring.stderr?.on('data', (chunk: Buffer) => {
    keyringErr += chunk.toString();
  });
  keyring.stdin?.end(options.password ?? 'cloud-connect-test-keyring');
  try {
    await waitForSecretService(env, keyring, timeoutMs);
  } catch (err) {
    await stopChild(keyring);
    await bus.stop();
    throw new Error(`${(err as Error).message}\n${keyringErr}`, { cause: err });
  }

  const useHere = options.useInThisProcess ?? true;
  const previous = process.env.DBUS_SESSION_BUS_ADDRESS;
  if (useHere) process.env.DBUS_SESSION_BUS_ADDRESS = bus.address;

  return {
    busAddress: bus.address,
    env,
    async lookupWithSecretTool(service, account) {
      // keytar stores items with the attributes `service` and `account` (libsecret's generic schema).
      const result = await run(
        'secret-tool',
        ['lookup', 'service', service, 'account', account],
        env,
      );
      if (result.code === 0) return result.stdout;
      if (result.stderr.trim() === '') return null; // secret-tool prints nothing and exits 1 when absent
      throw new Error(`secret-tool failed: ${result.stderr}`);
    },
    async readWithKeytarProcess(service, account) {
      const keytarPath = createRequire(import.meta.url).resolve('keytar');
      const result = await run(
        process.execPath,
        ['-e', KEYTAR_READ, keytarPath, service, account],
        env,
      );
      if (result.code !== 0) throw new Error(`keytar process failed: ${result.stderr}`);
      return (JSON.parse(result.stdout) as { value: string | null }).value;
    },
    async lock() {
      const result = await run(
        'dbus-send',
        [
          '--session',
          '--print-reply',
          '--dest=org.freedesktop.secrets',
          '/org/freedesktop/secrets',
          'org.freedesktop.Secret.Service.Lock',
          'array:objpath:/org/freedesktop/secrets/collection/login',
        ],
        env,
      );
      if (result.code !== 0) throw new Error(`could not lock the keyring: ${result.stderr}`);
    },
    async stop() {
      if (useHere) {
        if (previous === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
        else process.env.DBUS_SESSION_BUS_ADDRESS = previous;
      }
      await stopChild(keyring);
      await bus.stop();
    },
  };
}
