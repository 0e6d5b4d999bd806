import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './harness/freePort.js';
import { REPO_ROOT } from './harness/relayProcess.js';

const run = promisify(execFile);

/** GET / on a loopback port with a Host header of our choosing (fetch does not let us set it). */
function getWithHost(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += String(d)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Issue 4 §3: what `npm start` runs after its build step — the launcher starts the embedded
 * relay (issue 11 §3: with its built-in edge, printed), finds no Electron binary, says so, and
 * serves the web host instead.
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

  it('starts a local relay with its edge, says there is no Electron binary, serves the web host, and stops them all on SIGTERM', async () => {
    const relayPort = await freePort();
    const edgePort = await freePort();
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'main/dist/start/start.js')], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        RELAY_PORT: String(relayPort),
        RELAY_DATA_DIR: path.join(dir, 'relay'),
        // Fixed here: the default (8080 or the next free port) may be taken by a parallel test.
        EDGE_PORT: String(edgePort),
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
      expect(out).toContain(`Edge: http://<subdomain>.localhost:${edgePort}/`);
      expect(out).toContain('No Electron binary is installed here');
      const url = /(http:\/\/127\.0\.0\.1:\d+)\/#token=[\w-]+/.exec(out)!;
      const page = await fetch(`${url[1]}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
      const health = await fetch(`http://127.0.0.1:${relayPort}/v1/health`);
      expect(health.status).toBe(200);
      // The built-in edge answers for the base domain `localhost`: no app is connected yet.
      const edge = await getWithHost(edgePort, `nothing-yet.localhost:${edgePort}`);
      expect(edge.status).toBe(404);
      expect(edge.body).toContain('No app is connected at nothing-yet.localhost');

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await expect(fetch(`http://127.0.0.1:${relayPort}/v1/health`)).rejects.toThrow();
      await expect(fetch(`http://127.0.0.1:${edgePort}/`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 120_000);
});
