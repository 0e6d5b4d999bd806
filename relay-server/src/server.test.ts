import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from './config/config.js';

/** The real entry point, run the way a developer runs it from the repo root. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVER = path.join(ROOT, 'relay-server/src/server.ts');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cc-server-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The test's own environment minus every relay variable, plus `env`. */
function environment(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const [name] of CONFIG_VARIABLES) delete clean[name];
  return { ...clean, RELAY_PORT: '0', EDGE_MODE: 'off', ...env };
}

function run(env: Record<string, string>) {
  return spawn(TSX, ['--conditions=@cloud-connect/source', SERVER], {
    cwd: dir,
    env: environment(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Run to exit (bounded: a server that starts instead of failing is killed after 60 s). */
async function runToExit(env: Record<string, string>): Promise<Exit> {
  const child = run(env);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  return { code, signal, stdout, stderr };
}

// A cold tsx start-up takes seconds, many more on a busy machine.
describe('relay-server/src/server.ts as a process', { timeout: 90_000 }, () => {
  it.each([
    ['RELAY_PORT', { RELAY_PORT: 'abc' }],
    ['TUNNEL_CIDR', { TUNNEL_CIDR: '10.100.0.0/33' }],
    ['STRIPE_WEBHOOK_SECRET', { STRIPE_SECRET_KEY: 'sk_test_half' }],
    ['RELAY_SECRET', { RELAY_SECRET: 'short-but-still-secret' }],
  ] as const)('exits 78 naming %s when it is bad', async (name, env) => {
    const exit = await runToExit({ RELAY_DATA_DIR: path.join(dir, 'data'), ...env });
    expect(exit.code, exit.stderr).toBe(78);
    expect(exit.stderr).toContain(`bad configuration: ${name}: `);
    expect(exit.stdout).not.toContain('relay on');
    // A bad value is named, never printed when it is a secret.
    if ('RELAY_SECRET' in env) expect(exit.stderr).not.toContain(env.RELAY_SECRET);
  });

  it('exits 78 naming RELAY_DATA_DIR when the data dir is a file', async () => {
    const file = path.join(dir, 'a-file');
    await writeFile(file, 'not a directory');
    const exit = await runToExit({ RELAY_DATA_DIR: file });
    expect(exit.code, exit.stderr).toBe(78);
    expect(exit.stderr).toContain('bad configuration: RELAY_DATA_DIR: ');
  });

  it('starts with a good environment, answers, and exits 0 on SIGTERM', async () => {
    const child = run({ RELAY_DATA_DIR: path.join(dir, 'good'), LOG_LEVEL: 'warn' });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = once(child, 'exit');
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start-up line: ${stderr}`)), 60_000);
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          const m = /relay on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
          if (m?.[1]) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        child.once('exit', () => reject(new Error(`exited early: ${stderr}`)));
      });
      const health = await fetch(`${url}/v1/health`);
      expect(health.status).toBe(200);
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect(code, stderr).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  });
});
