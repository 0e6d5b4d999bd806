import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './harness/relayProcess.js';

const run = promisify(execFile);

/** A free TCP port on loopback. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Issue 4 §3: what `npm start` runs after its build step — the launcher starts the embedded
 * relay, finds no Electron binary, says so, and serves the web host instead.
 */
describe('npm start (the built launcher)', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cc-start-'));
    // The build half of `npm start`.
    await run('npx', ['tsc', '-b', 'agent-core', 'relay-server', 'main'], { cwd: REPO_ROOT });
    await run('npx', ['vite', 'build', 'renderer', '--logLevel', 'warn'], { cwd: REPO_ROOT });
  }, 240_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts a local relay, says there is no Electron binary, serves the web host, and stops both on SIGTERM', async () => {
    const relayPort = await freePort();
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'main/dist/start/start.js')], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        RELAY_PORT: String(relayPort),
        RELAY_DATA_DIR: path.join(dir, 'relay'),
        CLOUD_CONNECT_DATA_DIR: path.join(dir, 'desktop'),
        CLOUD_CONNECT_WEB_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const deadline = Date.now() + 60_000;
      while (!/#token=/.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`no web host URL:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(out).toContain(`Local relay on http://127.0.0.1:${relayPort}`);
      expect(out).toContain('No Electron binary is installed here');
      const url = /(http:\/\/127\.0\.0\.1:\d+)\/#token=[\w-]+/.exec(out)!;
      const page = await fetch(`${url[1]}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
      const health = await fetch(`http://127.0.0.1:${relayPort}/v1/health`);
      expect(health.status).toBe(200);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await expect(fetch(`http://127.0.0.1:${relayPort}/v1/health`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 120_000);
});
