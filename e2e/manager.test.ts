import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ConnectionView } from '@cloud-connect/agent-core/desktop';
import { createManager, type Manager } from '@cloud-connect/agent-core/manager';
import {
  createSecretStore,
  secretAccounts,
  type SecretStore,
} from '@cloud-connect/agent-core/secrets';
import {
  cloudflaredStandInPath,
  isProcessAlive,
  makeTunnelToken,
  sampleContainer,
  standInEnv,
  startDockerEngineStandIn,
  writeStandInScenario,
  type DockerEngineStandIn,
} from '@cloud-connect/agent-core/testing';
import { startTestRelay, type TestRelay } from '@cloud-connect/relay-server/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const SECRET_KEY = 'manager-test-key-0123456789-abcdefghij';

let relay: TestRelay;
let dir: string;
let docker: DockerEngineStandIn;
let scenario: string;
let manager: Manager;
let secrets: SecretStore;

async function newManager(): Promise<Manager> {
  return createManager({
    dataDir: path.join(dir, 'app'),
    env: { CLOUD_CONNECT_SECRET_KEY: SECRET_KEY },
    defaultRelayUrl: relay.url,
    cloudflaredPath: cloudflaredStandInPath(),
    cloudflaredEnv: standInEnv(scenario),
    dockerSocket: docker.socketPath,
    supervisor: { healthCheckIntervalMs: 500, backoff: { initialMs: 100, capMs: 1000 } },
    testTimeoutMs: 10_000,
  });
}

/** Resolves with the connections list once `predicate` holds for it. */
function waitForConnections(
  m: Manager,
  predicate: (c: ConnectionView[]) => boolean,
  timeoutMs = 15_000,
) {
  return new Promise<ConnectionView[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('timed out waiting for connection state'));
    }, timeoutMs);
    const off = m.onConnections((list) => {
      if (predicate(list)) {
        clearTimeout(timer);
        off();
        resolve(list);
      }
    });
    void m.listConnections().then((r) => {
      if (r.ok && predicate(r.value)) {
        clearTimeout(timer);
        off();
        resolve(r.value);
      }
    });
  });
}

/** Files under `root` whose bytes contain `needle` (the encrypted secrets file is opaque by design). */
async function filesContaining(root: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if ((await readFile(file)).includes(needle)) hits.push(file);
  }
  return hits;
}

async function signedInUser(m: Manager, verified = true) {
  const email = `m${Date.now()}${Math.floor(Math.random() * 1e6)}@example.test`;
  const password = 'manager test password';
  const up = await m.signUp({
    name: 'Mona',
    email,
    password,
    password_confirmation: password,
    accept_terms: true,
    accept_privacy: true,
  });
  expect(up).toMatchObject({ ok: true, value: { email } });
  if (verified) {
    const mail = (await relay.outbox()).find((x) => x.to === email);
    const link = /https?:\/\/\S+verify-email\?token=[\w-]+/.exec(mail!.text)![0];
    relay.ledger.add(new URL(link).searchParams.get('token'));
    expect(await m.verifyEmail(link)).toMatchObject({ ok: true });
  }
  relay.ledger.add(password);
  expect(await m.signIn(email, password)).toMatchObject({ ok: true, value: { signedIn: true } });
  return { email, password };
}

beforeEach(async () => {
  relay = await startTestRelay();
  dir = await mkdtemp(path.join(tmpdir(), 'cc-manager-'));
  scenario = path.join(dir, 'scenario.json');
  await writeStandInScenario(scenario, { hostnames: ['files.example.com'] });
  docker = await startDockerEngineStandIn({
    containers: [
      sampleContainer('erugo', [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }]),
    ],
  });
  secrets = createSecretStore({
    dataDir: path.join(dir, 'app'),
    env: { CLOUD_CONNECT_SECRET_KEY: SECRET_KEY },
  });
  manager = await newManager();
});

afterEach(async () => {
  await manager.shutdown();
  await docker.close();
  await rm(dir, { recursive: true, force: true });
  await relay.stop();
});

describe('Manager: the account session', () => {
  it('signs up, verifies from the mailed link, signs in, and keeps the tokens only in the secret store', async () => {
    const sessions: boolean[] = [];
    manager.onSession((s) => sessions.push(s.signedIn));
    const { email } = await signedInUser(manager);
    const session = await manager.getSession();
    expect(session).toMatchObject({
      ok: true,
      value: {
        signedIn: true,
        relayUrl: relay.url,
        user: { email, email_verified: true, subscription_plan: 'free' },
      },
    });
    const stored = JSON.parse((await secrets.get(secretAccounts.session)) ?? '{}') as {
      refresh_token: string;
    };
    expect(stored.refresh_token).toMatch(/^eyJ/);
    expect(await filesContaining(path.join(dir, 'app'), stored.refresh_token)).toEqual([]);

    expect(await manager.signOut()).toMatchObject({ ok: true, value: { signedIn: false } });
    expect(await secrets.get(secretAccounts.session)).toBeNull();
    // verify (not yet signed in), sign in, sign out
    expect(sessions).toEqual([false, true, false]);
  });

  it('answers API errors as values with the code and the field', async () => {
    const res = await manager.signIn('nobody@example.test', 'wrong password');
    expect(res).toMatchObject({ ok: false, code: 'UNAUTHORIZED' });
    const bad = await manager.signUp({
      name: 'x',
      email: 'x@example.test',
      password: 'short',
      password_confirmation: 'short',
      accept_terms: true,
      accept_privacy: true,
    });
    expect(bad).toMatchObject({
      ok: false,
      code: 'VALIDATION_ERROR',
      fields: { password: 'must be at least 8 characters' },
    });
    const noSession = await manager.listInstances();
    expect(noSession).toMatchObject({ ok: false, code: 'NOT_SIGNED_IN' });
  });

  it('keeps the session across a restart of the app', async () => {
    await signedInUser(manager);
    await manager.shutdown();
    manager = await newManager();
    expect(await manager.getSession()).toMatchObject({ ok: true, value: { signedIn: true } });
  });
});

describe('Manager: instances', () => {
  it('keeps a new instance token in the secret store and answers it once', async () => {
    await signedInUser(manager);
    const res = await manager.createInstance({
      name: 'Files',
      subdomain: `files${Date.now() % 1e6}`,
    });
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    relay.ledger.add(res.value.instance_token);
    expect(await secrets.get(secretAccounts.instanceToken(res.value.instance.id))).toBe(
      res.value.instance_token,
    );
    const list = await manager.listInstances();
    expect(list).toMatchObject({
      ok: true,
      value: [{ id: res.value.instance.id, status: 'pending' }],
    });
    const taken = await manager.checkSubdomain(res.value.instance.subdomain);
    expect(taken).toMatchObject({ ok: true, value: { available: false, reason: 'taken' } });

    // A WireGuard connection for it finds the token in the store.
    const conn = await manager.addConnection({
      kind: 'wireguard',
      name: 'Files tunnel',
      instanceId: res.value.instance.id,
      target: 'http://localhost:8080',
    });
    expect(conn).toMatchObject({
      ok: true,
      value: { hasToken: true, enabled: false, status: { status: 'disconnected' } },
    });

    // Deleting the instance removes its token and its connections.
    expect(await manager.deleteInstance(res.value.instance.id)).toEqual({ ok: true, value: null });
    expect(await secrets.get(secretAccounts.instanceToken(res.value.instance.id))).toBeNull();
    expect(await manager.listConnections()).toEqual({ ok: true, value: [] });
  });
});

describe('Manager: Cloudflare connections', () => {
  it('adds an enabled connection that connects at once and shows its hostname, then disconnects cleanly', async () => {
    const token = makeTunnelToken();
    const added = await manager.addConnection({
      kind: 'cloudflare',
      name: 'Files',
      token,
      enabled: true,
    });
    expect(added.ok).toBe(true);
    const [conn] = await waitForConnections(manager, (l) => l[0]?.status.status === 'connected');
    expect(conn).toMatchObject({
      name: 'Files',
      hasToken: true,
      status: { is_connected: true, hostname: 'files.example.com' },
    });
    const pid = Number(conn!.status.details.pid ?? 0);

    expect(await filesContaining(path.join(dir, 'app'), token)).toEqual([]);
    const logs = await manager.getLogs();
    expect(JSON.stringify(logs)).not.toContain(token);

    const off = await manager.disconnect(conn!.id);
    expect(off).toMatchObject({
      ok: true,
      value: { status: { status: 'disconnected', is_running: false } },
    });
    if (pid) expect(await isProcessAlive(pid)).toBe(false);

    expect(await manager.removeConnection(conn!.id)).toEqual({ ok: true, value: null });
    expect(await secrets.get(secretAccounts.cloudflareToken(conn!.id))).toBeNull();
  });

  it('tests a token: success with latency and hostname, and a bad token with cloudflared’s message', async () => {
    const good = await manager.testConnection({ kind: 'cloudflare', token: makeTunnelToken() });
    expect(good).toMatchObject({
      ok: true,
      value: { success: true, hostname: 'files.example.com', error: null },
    });
    if (good.ok) expect(good.value.latency_ms).toBeGreaterThan(0);

    const bad = await manager.testConnection({ kind: 'cloudflare', token: 'x'.repeat(60) });
    expect(bad).toMatchObject({ ok: true, value: { success: false, error_code: 'INVALID_TOKEN' } });
    if (bad.ok) expect(bad.value.error).toContain('Provided Tunnel token is not valid.');
  });

  it('restores a running connection after testing it', async () => {
    const added = await manager.addConnection({
      kind: 'cloudflare',
      name: 'Files',
      token: makeTunnelToken(),
      enabled: true,
    });
    if (!added.ok) throw new Error(added.message);
    await waitForConnections(manager, (l) => l[0]?.status.status === 'connected');
    const test = await manager.testConnection({ id: added.value.id });
    expect(test).toMatchObject({ ok: true, value: { success: true } });
    await waitForConnections(manager, (l) => l[0]?.status.status === 'connected');
  });
});

describe('Manager: auto-start (seed 000 P13-2.2)', () => {
  it('starts enabled connections on launch and logs, never throws, for one without a token', async () => {
    const good = await manager.addConnection({
      kind: 'cloudflare',
      name: 'Good',
      token: makeTunnelToken(),
      enabled: false,
    });
    const broken = await manager.addConnection({
      kind: 'cloudflare',
      name: 'Broken',
      token: makeTunnelToken(),
      enabled: false,
    });
    if (!good.ok || !broken.ok) throw new Error('add failed');
    await manager.updateConnection(good.value.id, { enabled: true });
    await waitForConnections(
      manager,
      (l) => l.find((c) => c.id === good.value.id)?.status.status === 'connected',
    );
    await manager.shutdown();
    // The broken one loses its token (as if the keychain entry was deleted), then is enabled.
    await secrets.delete(secretAccounts.cloudflareToken(broken.value.id));

    manager = await newManager();
    await manager.updateConnection(broken.value.id, { enabled: true }).catch(() => undefined);
    await manager.shutdown();
    manager = await newManager();
    await expect(manager.autoStart()).resolves.toBeUndefined();
    const list = await waitForConnections(
      manager,
      (l) => l.find((c) => c.id === good.value.id)?.status.status === 'connected',
    );
    expect(list.find((c) => c.id === broken.value.id)).toMatchObject({
      hasToken: false,
      status: { status: 'disconnected' },
    });
    const logs = await manager.getLogs({ connectionId: broken.value.id });
    expect(
      logs.ok &&
        logs.value.some((e) => e.level === 'error' && /no Cloudflare tunnel token/.test(e.message)),
    ).toBe(true);
  });
});

describe('Manager: Docker discovery', () => {
  it('lists running containers with the targets to pick', async () => {
    const res = await manager.listContainers();
    expect(res).toMatchObject({
      ok: true,
      value: {
        available: true,
        containers: [{ name: 'erugo', suggestedTargets: ['http://localhost:8080'] }],
      },
    });
  });
});
