import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  childProcessesOf,
  cloudflaredStandInPath,
  isProcessAlive,
  makeTunnelToken,
} from '@cloud-connect/agent-core/testing';
import {
  createAccount,
  createInstance,
  startTestRelay,
  type TestRelay,
} from '@cloud-connect/relay-server/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCliToEnd, startCli } from './harness/cliProcess.js';

let relay: TestRelay;
let dataDir: string;
let env: Record<string, string>;

beforeEach(async () => {
  relay = await startTestRelay();
  dataDir = await mkdtemp(path.join(tmpdir(), 'cc-cli-'));
  env = {
    CLOUD_CONNECT_DATA_DIR: dataDir,
    CLOUD_CONNECT_RELAY_URL: relay.url,
    CLOUD_CONNECT_SECRET_KEY: 'cli-test-secret-key-0123456789abcdef',
    CLOUD_CONNECT_CLOUDFLARED: cloudflaredStandInPath(),
  };
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
  await relay.stop();
});

describe('cloud-connect usage', () => {
  it('exits 2 with the usage hint for a missing option', async () => {
    const res = await runCliToEnd(['connect', '--target', 'http://localhost:8080'], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("required option '--instance <id>' not specified");
    expect(res.stderr).toContain('cloud-connect --help');
  });

  it('says what to do when a tunnel command has no token', async () => {
    const res = await runCliToEnd(['cloudflare', 'run'], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('What to do: Set TUNNEL_TOKEN');
  });
});

describe('cloud-connect login, instances, logout', () => {
  it('signs in with the password from stdin, lists instances, and signs out', async () => {
    const account = await createAccount(relay);
    const inst = await createInstance(relay, account, `cli${Date.now() % 1e6}`, 'CLI box');
    const login = await runCliToEnd(
      ['login', '--email', account.email, '--password-stdin'],
      env,
      `${account.password}\n`,
    );
    expect(login.stderr).not.toContain(account.password);
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(`Signed in to ${relay.url} as ${account.email} (free plan)`);

    const table = await runCliToEnd(['instances'], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      new RegExp(`${inst.instance.id}\\s+CLI box\\s+${inst.instance.subdomain}`),
    );
    const json = await runCliToEnd(['instances', '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject([{ id: inst.instance.id, status: 'pending' }]);

    const out = await runCliToEnd(['logout'], env);
    expect(out).toMatchObject({ code: 0, stdout: 'Signed out.\n' });
    const after = await runCliToEnd(['instances'], env);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('What to do: Sign in first: cloud-connect login');
  });

  it('reports a wrong password with what to do, and exit code 1', async () => {
    const account = await createAccount(relay);
    relay.ledger.add('not the password');
    const res = await runCliToEnd(
      ['login', '--email', account.email, '--password-stdin'],
      env,
      'not the password',
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Error: Email or password is incorrect');
    expect(res.stderr).toContain('What to do:');
  });
});

describe('cloud-connect cloudflare run / status / test', () => {
  it('runs a tunnel in the foreground, shows it in status, and stops cleanly on SIGTERM', async () => {
    const token = makeTunnelToken();
    const run = startCli(['cloudflare', 'run', '--name', 'Files'], { ...env, TUNNEL_TOKEN: token });
    try {
      await run.waitFor('Connected: https://app.example.com');
      const status = await runCliToEnd(['status', '--json'], env);
      expect(JSON.parse(status.stdout)).toMatchObject([
        {
          name: 'Files',
          kind: 'cloudflare',
          status: { status: 'connected', hostname: 'app.example.com' },
        },
      ]);
      const table = await runCliToEnd(['status'], env);
      expect(table.stdout).toMatch(/Files\s+cloudflare\s+connected\s+app\.example\.com/);

      // The token is in no process's argv and in no file but the encrypted secrets file.
      const children = await childProcessesOf(run.child.pid!);
      expect(children.length).toBeGreaterThan(0);
      for (const pid of [run.child.pid!, ...children.map((c) => c.pid)]) {
        expect(await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).not.toContain(token);
      }
      expect(run.stdout() + run.stderr()).not.toContain(token);

      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(run.stderr()).toContain('Stopped.');
      for (const c of children) expect(await isProcessAlive(c.pid)).toBe(false);
      const after = await runCliToEnd(['status'], env);
      expect(after.stdout).toContain('No tunnel is running');
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  });

  it('exits 1 with cloudflared’s message and a hint for a malformed token', async () => {
    const res = await runCliToEnd(['cloudflare', 'run'], {
      ...env,
      TUNNEL_TOKEN: 'not-a-token'.repeat(6),
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Provided Tunnel token is not valid.');
    expect(res.stderr).toContain('What to do: Copy the whole tunnel token');
  });

  it('tests a token: success with latency and hostname, failure with the reason', async () => {
    const good = await runCliToEnd(['test'], { ...env, TUNNEL_TOKEN: makeTunnelToken() });
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^Success: connected in \d+ ms, serving app\.example\.com/);
    const bad = await runCliToEnd(['test', '--json'], { ...env, TUNNEL_TOKEN: 'x'.repeat(64) });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ success: false, error_code: 'INVALID_TOKEN' });
  });
});
