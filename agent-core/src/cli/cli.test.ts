import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSettings } from '../settings/settingsStore.js';
import { buildProgram, runCli } from './main.js';
import { DEFAULT_HINT, HINTS, type Io } from './output.js';

let dataDir: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'cc-cli-unit-'));
  env = {
    CLOUD_CONNECT_DATA_DIR: dataDir,
    CLOUD_CONNECT_SECRET_KEY: 'cli-unit-secret-key-0123456789abcdef',
    PATH: process.env.PATH,
  };
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    out: (l) => (stdout += `${l}\n`),
    err: (l) => (stderr += `${l}\n`),
    isTty: false,
    now: () => new Date('2026-12-07T14:10:00Z'),
  };
  const code = await runCli(args, io, env);
  return { code, stdout, stderr };
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const instanceToken = (id: string) =>
  `${b64({ alg: 'HS256' })}.${b64({ typ: 'instance', sub: id, uid: 'usr_1' })}.c2ln`;

interface BadInput {
  args: string[];
  env?: Record<string, string>;
  code: string;
  exit: number;
  says: string;
}
/** A command line commander or the CLI's own checks refuse: USAGE, exit 2. */
const usage = (args: string[], says: string, env?: Record<string, string>): BadInput => ({
  args,
  env,
  code: 'USAGE',
  exit: 2,
  says,
});

/** Every bad command line: the code and exit code it must fail with, before anything runs. */
const BAD_INPUT: BadInput[] = [
  usage(['frobnicate'], "unknown command 'frobnicate'"),
  usage(['instances', '--bogus'], "unknown option '--bogus'"),
  usage(['connect', '--instance', 'inst_1'], "required option '--target <url>' not specified"),
  usage(['login'], "required option '--email <email>'"),
  usage(['login', '--email', 'not-an-email'], 'not an email'),
  usage(
    ['login', '--email', 'ann@example.com', '--relay', 'ftp://relay.example.com'],
    '--relay: "ftp://relay.example.com" is not an http(s) URL',
  ),
  usage(['instances', '--relay', 'not a url'], 'is not an http(s) URL'),
  usage(
    ['connect', '--target', 'localhost:8080'],
    '--target: "localhost:8080" is not an http(s) URL',
  ),
  usage(['cloudflare', 'run', '--target', 'nope'], '--target: "nope"'),
  ...[[], ['--instance', 'inst_mine']].map((instance) =>
    usage(
      ['connect', '--target', 'http://localhost:8080', ...instance, '--transport', 'udp'],
      '--transport: "udp" is not a transport: use auto, wireguard or stream',
      { CLOUD_CONNECT_INSTANCE_TOKEN: instanceToken('inst_mine') },
    ),
  ),
  usage(
    ['connect', '--target', 'http://localhost:8080', '--transport', 'WireGuard'],
    'use auto, wireguard or stream',
  ),
  usage(
    ['connect', '--target', 'http://localhost:8080'],
    'No instance to connect: there is no instance token here',
  ),
  usage(
    ['connect', '--target', 'http://localhost:8080', '--instance', 'inst_other'],
    'CLOUD_CONNECT_INSTANCE_TOKEN is the token of inst_mine, not of --instance inst_other',
    { CLOUD_CONNECT_INSTANCE_TOKEN: instanceToken('inst_mine') },
  ),
  {
    args: ['connect', '--target', 'http://localhost:8080'],
    env: { CLOUD_CONNECT_INSTANCE_TOKEN: 'garbage' },
    code: 'INVALID_TOKEN',
    exit: 2,
    says: 'CLOUD_CONNECT_INSTANCE_TOKEN is not an instance token',
  },
  {
    args: ['cloudflare', 'run'],
    code: 'TOKEN_MISSING',
    exit: 2,
    says: 'No Cloudflare tunnel token',
  },
  usage(['test'], 'Nothing to test'),
  ...['connections', 'status'].map((command) =>
    usage([command, '--data-dir', '/etc/passwd'], '--data-dir: /etc/passwd is not a directory'),
  ),
  {
    args: ['test', '--connection', 'conn_nope'],
    code: 'NOT_FOUND',
    exit: 1,
    says: 'There is no such connection',
  },
  { args: ['instances'], code: 'NOT_SIGNED_IN', exit: 1, says: 'Sign in first' },
  { args: ['whoami'], code: 'NOT_SIGNED_IN', exit: 1, says: 'Not signed in' },
];

describe('cloud-connect bad input', () => {
  for (const c of BAD_INPUT) {
    it(`${c.args.join(' ')}${c.env ? ' (with a token)' : ''}: ${c.code}, exit ${c.exit}, as text and as JSON`, async () => {
      Object.assign(env, c.env);
      const settingsBefore = await readFile(path.join(dataDir, 'settings.json'), 'utf8').catch(
        () => null,
      );
      const text = await run(c.args);
      expect(text.code, text.stderr).toBe(c.exit);
      expect(text.stderr).toContain(c.says);
      expect(text.stderr).toMatch(/What to do: |cloud-connect --help/);
      expect(text.stdout).toBe('');

      const json = await run([...c.args, '--json']);
      expect(json.code).toBe(c.exit);
      // One JSON document on stdout; nothing of commander's text on stderr.
      const body = JSON.parse(json.stdout) as {
        error: { code: string; message: string; hint: string };
      };
      expect(body.error.code).toBe(c.code);
      expect(body.error.message).toContain(c.says);
      expect(body.error.hint.length).toBeGreaterThan(10);
      expect(json.stderr).not.toContain('Error:');
      expect(json.stderr).not.toContain('--help for usage');

      // Nothing was saved: no connection, and the relay stays as it was.
      const settingsAfter = await readFile(path.join(dataDir, 'settings.json'), 'utf8').catch(
        () => null,
      );
      if (settingsAfter !== null) expect(JSON.parse(settingsAfter).connections).toEqual([]);
      if (settingsBefore !== null) expect(settingsAfter).toBe(settingsBefore);
    });
  }

  it('keeps --help and --version at exit 0 with --json', async () => {
    expect((await run(['--version', '--json'])).code).toBe(0);
    const help = await run(['connect', '--help', '--json']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--instance <id>');
  });
});

/** Every `cloud-connect …` a hint or message of the CLI names, with the options it gives. */
async function namedCommandLines(): Promise<string[]> {
  const dir = path.dirname(new URL(import.meta.url).pathname);
  const files = [
    ...(await readdir(dir)).map((f) => path.join(dir, f)),
    ...(await readdir(path.join(dir, 'commands'))).map((f) => path.join(dir, 'commands', f)),
  ].filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  const texts = [...Object.values(HINTS), DEFAULT_HINT];
  for (const f of files) texts.push(await readFile(f, 'utf8'));
  const found = new Set<string>();
  for (const t of texts)
    for (const m of t.matchAll(/(?<![\w/.~-])cloud-connect ([^\n'`,;:)(]*)/g)) {
      // Up to the next mention, which is matched on its own.
      const line = (m[1] ?? '').split('cloud-connect')[0]!.trim();
      if (line) found.add(line);
    }
  return [...found];
}

describe('hints', () => {
  it('name only commands and options that exist', async () => {
    const program: Command = buildProgram({ out() {}, err() {}, isTty: false }, {}, () => {});
    const lines = await namedCommandLines();
    expect(lines.length).toBeGreaterThan(8);
    for (const line of lines) {
      const words = line.split(' ');
      let cmd = program;
      const options = new Set(['--help', '--version', ...program.options.map((o) => o.long)]);
      let sawOption = false;
      for (const w of words) {
        if (w.startsWith('--')) {
          sawOption = true;
          expect(
            options.has(w),
            `"cloud-connect ${line}": ${w} is no option of ${cmd.name()}`,
          ).toBe(true);
          continue;
        }
        const sub = cmd.commands.find((c) => c.name() === w);
        if (!sub) {
          // An argument of the option before it, or prose after the command.
          expect(
            cmd === program && !sawOption ? w : 'ok',
            `"cloud-connect ${line}" names no command`,
          ).toBe('ok');
          break;
        }
        cmd = sub;
        for (const o of sub.options) options.add(o.long);
      }
    }
  });

  it('lists saved connections with the transport each relay connection chose', async () => {
    const settings = await openSettings({ dataDir });
    await settings.addConnection({
      name: 'Photos',
      kind: 'relay',
      transport: 'stream',
      instanceId: 'inst_abcdefghij12',
      target: 'http://localhost:8080',
    });
    await settings.addConnection({ name: 'Blog', kind: 'cloudflare' });
    const list = await run(['connections']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/NAME\s+KIND\s+TRANSPORT\s+INSTANCE/);
    expect(list.stdout).toMatch(/Photos\s+relay\s+stream\s+inst_abcdefghij12/);
    expect(list.stdout).toMatch(/Blog\s+cloudflare\s+-\s+-/);
  });

  it('send a NOT_FOUND connection id to the command that lists connection ids', async () => {
    const res = await run(['test', '--connection', 'conn_nope']);
    expect(res.stderr).toContain('cloud-connect connections');
    const list = await run(['connections', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([]);
  });
});
