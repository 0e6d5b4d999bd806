import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
    // --instance may be left out (the token names its instance); --target may not.
    const res = await runCliToEnd(['connect', '--instance', 'inst_x'], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("required option '--target <url>' not specified");
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
    expect(table.stdout).toMatch(/\s+never\n$/);
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

/** The bytes of the files a sign-in could change: settings and the encrypted secrets file. */
async function savedState(dir: string) {
  return {
    // Absent until something is saved (a fresh install uses the defaults).
    settings: await readFile(path.join(dir, 'settings.json'), 'utf8').catch(() => null),
    secrets: await readFile(path.join(dir, 'secrets.enc.json'), 'utf8'),
  };
}

/** A loopback HTTP server that is not a relay (an app, a typo'd port). */
async function notARelay(): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/html' });
    res.end('<h1>Not Found</h1>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A loopback port nothing listens on. */
async function closedPortUrl(): Promise<string> {
  const { url, server } = await notARelay();
  await new Promise((r) => server.close(r));
  return url;
}

describe('cloud-connect login that fails changes nothing', () => {
  async function signedInAtA() {
    const account = await createAccount(relay);
    const login = await runCliToEnd(
      ['login', '--email', account.email, '--password-stdin'],
      env,
      account.password,
    );
    expect(login.code).toBe(0);
    return { account, before: await savedState(dataDir) };
  }

  async function expectUnchanged(before: Awaited<ReturnType<typeof savedState>>, email: string) {
    expect(await savedState(dataDir)).toEqual(before);
    const who = await runCliToEnd(['whoami'], env);
    expect(who.code).toBe(0);
    expect(who.stdout).toBe(`Signed in to ${relay.url} as ${email} (free plan)\n`);
    expect((await runCliToEnd(['instances'], env)).code).toBe(0);
  }

  it('a relay URL where nothing listens: exit 1, same relay, same session', async () => {
    const { account, before } = await signedInAtA();
    const wrong = await closedPortUrl();
    const res = await runCliToEnd(
      ['login', '--relay', wrong, '--email', account.email, '--password-stdin'],
      env,
      account.password,
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`Cannot reach the relay at ${wrong}`);
    expect(res.stderr).toContain('What to do: Check that the relay is running');
    await expectUnchanged(before, account.email);
  });

  it('a URL that answers but is not a relay: exit 1, same relay, same session', async () => {
    const { account, before } = await signedInAtA();
    const other = await notARelay();
    try {
      const res = await runCliToEnd(
        ['login', '--relay', other.url, '--email', account.email, '--password-stdin', '--json'],
        env,
        account.password,
      );
      expect(res.code).toBe(1);
      expect(JSON.parse(res.stdout)).toMatchObject({
        error: { code: 'INVALID_RESPONSE', hint: expect.stringContaining('Cloud Connect relay') },
      });
      await expectUnchanged(before, account.email);
    } finally {
      await new Promise((r) => other.server.close(r));
    }
  });

  it('a wrong password at another relay: exit 1, same relay, same session; the right one switches', async () => {
    const { account, before } = await signedInAtA();
    const relayB = await startTestRelay();
    try {
      const elsewhere = await createAccount(relayB);
      relayB.ledger.add('not the password');
      const res = await runCliToEnd(
        ['login', '--relay', relayB.url, '--email', elsewhere.email, '--password-stdin'],
        env,
        'not the password',
      );
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('Error: Email or password is incorrect');
      await expectUnchanged(before, account.email);

      // Other commands never switch a signed-in relay behind the session's back.
      const mismatch = await runCliToEnd(['instances', '--relay', relayB.url, '--json'], env);
      expect(mismatch.code).toBe(2);
      expect(JSON.parse(mismatch.stdout)).toMatchObject({
        error: {
          code: 'RELAY_MISMATCH',
          hint: expect.stringContaining(`cloud-connect login --relay ${relayB.url}`),
        },
      });
      await expectUnchanged(before, account.email);

      // The right password switches relay and session at once.
      const ok = await runCliToEnd(
        ['login', '--relay', relayB.url, '--email', elsewhere.email, '--password-stdin'],
        env,
        elsewhere.password,
      );
      expect(ok.code).toBe(0);
      const envB = { ...env, CLOUD_CONNECT_RELAY_URL: relayB.url };
      const who = await runCliToEnd(['whoami', '--json'], envB);
      expect(JSON.parse(who.stdout)).toMatchObject({
        signedIn: true,
        relayUrl: relayB.url,
        user: { email: elsewhere.email },
      });
      expect(JSON.parse(await readFile(path.join(dataDir, 'settings.json'), 'utf8'))).toMatchObject(
        { relayUrl: relayB.url },
      );
    } finally {
      await relayB.stop();
    }
  });

  it('a wrong password at the same relay: exit 1 with the same code as JSON, session kept', async () => {
    const { account, before } = await signedInAtA();
    relay.ledger.add('wrong password');
    const text = await runCliToEnd(
      ['login', '--email', account.email, '--password-stdin'],
      env,
      'wrong password',
    );
    const json = await runCliToEnd(
      ['login', '--email', account.email, '--password-stdin', '--json'],
      env,
      'wrong password',
    );
    expect(text.code).toBe(1);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      error: { code: 'UNAUTHORIZED', message: 'Email or password is incorrect' },
    });
    await expectUnchanged(before, account.email);
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
      expect(table.stdout).toMatch(
        /Files\s+cloudflare\s+-\s+Connected\s+https:\/\/app\.example\.com\s+.*cloud-connect cloudflare run \(pid \d+\)\s+just now/,
      );

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

  it('with --json: the forwarding and a permanent error are JSON on stdout, exit codes as without', async () => {
    const run = startCli(
      ['cloudflare', 'run', '--name', 'Json', '--target', 'http://localhost:8080', '--json'],
      { ...env, TUNNEL_TOKEN: makeTunnelToken() },
    );
    try {
      await run.waitFor('"forwarding"');
      expect(JSON.parse(run.stdout())).toEqual({
        forwarding: { public_url: 'https://app.example.com', target: 'http://localhost:8080' },
      });
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
    const bad = await runCliToEnd(['cloudflare', 'run', '--name', 'Bad', '--json'], {
      ...env,
      TUNNEL_TOKEN: 'not-a-token'.repeat(6),
    });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      error: {
        code: 'INVALID_TOKEN',
        message: expect.stringContaining('Provided Tunnel token is not valid.'),
        hint: expect.stringContaining('Copy the whole tunnel token'),
      },
    });
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
