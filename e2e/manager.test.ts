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
  ownChildPids,
  isProcessAlive,
  makeTunnelToken,
  sampleContainer,
  standInEnv,
  startDockerEngineStandIn,
  writeStandInScenario,
  type DockerEngineStandIn,
} from '@cloud-connect/agent-core/testing';
import { generateKeyPair } from '@cloud-connect/agent-core/wireguard';
import { startTestRelay, type TestRelay } from '@cloud-connect/relay-server/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const SECRET_KEY = 'manager-test-key-0123456789-abcdefghij';

let relay: TestRelay;
let dir: string;
let docker: DockerEngineStandIn;
let scenario: string;
let manager: Manager;
let secrets: SecretStore;

async function newManager(
  extra: Partial<Parameters<typeof createManager>[0]> = {},
): Promise<Manager> {
  return createManager({
    dataDir: path.join(dir, 'app'),
    env: { CLOUD_CONNECT_SECRET_KEY: SECRET_KEY },
    defaultRelayUrl: relay.url,
    cloudflaredPath: cloudflaredStandInPath(),
    cloudflaredEnv: standInEnv(scenario),
    dockerSocket: docker.socketPath,
    supervisor: { healthCheckIntervalMs: 500, backoff: { initialMs: 100, capMs: 1000 } },
    testTimeoutMs: 10_000,
    ...extra,
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
/** Add a Cloudflare connection "Files" with a fresh tunnel token, started when `enabled`. */
async function addFiles(enabled?: boolean) {
  const added = await manager.addConnection({
    kind: 'cloudflare',
    name: 'Files',
    token: makeTunnelToken(),
    ...(enabled ? { enabled } : {}),
  });
  if (!added.ok) throw new Error(added.message);
  return added.value;
}

/** An enabled "Files" connection once it is connected, and its cloudflared's pid. */
async function connectedFiles() {
  const { id } = await addFiles(true);
  const [conn] = await waitForConnections(manager, (l) => l[0]?.status.status === 'connected');
  return { id, pid: Number(conn!.status.details.pid) };
}

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
      kind: 'relay',
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

  it('tests a running connection where it stands: same cloudflared, never disconnected', async () => {
    const { id, pid } = await connectedFiles();
    const seen: string[] = [];
    manager.onConnections((l) => seen.push(l[0]!.status.status));

    const test = await manager.testConnection({ id });
    expect(test).toMatchObject({
      ok: true,
      value: { success: true, error: null, hostname: 'files.example.com', tested: 'running' },
    });
    if (test.ok) expect(test.value.latency_ms).toBeGreaterThan(0);
    // The same process serves on, the status never left connected, and nothing else started.
    expect(seen.filter((s) => s !== 'connected')).toEqual([]);
    expect(await cloudflaredProcesses()).toEqual([pid]);
    expect(await manager.listConnections()).toMatchObject({
      ok: true,
      value: [{ status: { status: 'connected', reconnect_count: 0, details: { pid } } }],
    });
  });

  it('tests a draft token beside the running connection, leaving it running', async () => {
    const { pid } = await connectedFiles();
    const draft = await manager.testConnection({ kind: 'cloudflare', token: makeTunnelToken() });
    expect(draft).toMatchObject({ ok: true, value: { success: true, tested: 'started' } });
    // The draft's own cloudflared is gone again; the running one never stopped.
    expect(await cloudflaredProcesses()).toEqual([pid]);
    const list = await manager.listConnections();
    expect(list).toMatchObject({ ok: true, value: [{ status: { status: 'connected' } }] });
  });
});

/** The cloudflared stand-ins this test process runs now (real processes, counted from /proc). */
const cloudflaredProcesses = () => ownChildPids((a) => a.endsWith('cloudflared.mjs'));

describe('Manager: testing a WireGuard connection another agent runs', () => {
  it('reports the relay’s view instead of registering again, and leaves that agent’s peer in place', async () => {
    // A name no interface can have: should the test ever start this tunnel, it stops after
    // registering and before touching the host's network.
    await manager.shutdown();
    manager = await newManager({ wireguard: { interfaceName: 'not a name!' } });
    await signedInUser(manager);
    const created = await manager.createInstance({
      name: 'Files',
      subdomain: `elsewhere${Date.now() % 1e6}`,
    });
    if (!created.ok) throw new Error(created.message);
    const { instance, instance_token: token } = created.value;
    relay.ledger.add(token);
    const conn = await manager.addConnection({
      kind: 'relay',
      name: 'Files tunnel',
      instanceId: instance.id,
      target: 'http://localhost:8080',
    });
    if (!conn.ok) throw new Error(conn.message);

    // Another agent (the CLI's connect, or another machine) serves the instance.
    const otherKey = generateKeyPair().publicKey;
    const auth = { token };
    expect((await relay.api.post('/tunnel/register', { public_key: otherKey }, auth)).status).toBe(
      200,
    );
    expect((await relay.api.post('/tunnel/heartbeat', {}, auth)).status).toBe(200);

    const test = await manager.testConnection({ id: conn.value.id });
    expect(test).toMatchObject({
      ok: true,
      value: {
        success: true,
        tested: 'elsewhere',
        hostname: `${instance.subdomain}.cloud.test`,
      },
    });
    if (test.ok) expect(test.value.note).toMatch(/another Cloud Connect process/);
    // The other agent keeps its peer and stays connected: nothing registered or disconnected.
    const stored = await relay.relay.services.store.instances.get(instance.id);
    expect(stored?.publicKey).toBe(otherKey);
    expect((await relay.api.get('/tunnel/status', auth)).body.tunnel_status).toBe('connected');
    const logs = await manager.getLogs({ connectionId: conn.value.id });
    expect(JSON.stringify(logs)).not.toMatch(/Registering the tunnel/);
  });
});

describe('Manager: one tunnel per connection', () => {
  it('starts one cloudflared for concurrent connects plus auto-start, and shutdown leaves none', async () => {
    const added = await addFiles(true);
    await waitForConnections(manager, (l) => l[0]?.status.status === 'connected');
    await manager.shutdown();
    expect(await cloudflaredProcesses()).toEqual([]);

    // A fresh launch: auto-start and a burst of clicks on Connect, all at once.
    manager = await newManager();
    const id = added.id;
    const results = await Promise.all([
      manager.autoStart(),
      ...Array.from({ length: 5 }, () => manager.connect(id)),
    ]);
    for (const r of results.slice(1)) expect(r).toMatchObject({ ok: true });
    await waitForConnections(manager, (l) => l[0]?.status.status === 'connected');
    const running = await cloudflaredProcesses();
    expect(running).toHaveLength(1);

    await manager.shutdown();
    expect(await cloudflaredProcesses()).toEqual([]);
    expect(await isProcessAlive(running[0]!)).toBe(false);
  });

  it('answers lifecycle calls for an unknown connection with NOT_FOUND and starts nothing, then still serves the next call', async () => {
    const calls = await Promise.all([
      manager.connect('conn_doesnotexist'),
      manager.testConnection({ id: 'conn_doesnotexist' }),
      manager.disconnect('conn_doesnotexist'),
      manager.updateConnection('conn_doesnotexist', { name: 'x' }),
      manager.removeConnection('conn_doesnotexist'),
    ]);
    for (const c of calls) expect(c).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await cloudflaredProcesses()).toEqual([]);
    const added = await addFiles();
    expect(await manager.connect(added.id)).toMatchObject({ ok: true });
  });

  it('refuses to start a connection once shutdown has begun', async () => {
    const added = await addFiles();
    const stopping = manager.shutdown();
    const late = await manager.connect(added.id);
    await stopping;
    expect(late).toMatchObject({ ok: false, code: 'SERVICE_UNAVAILABLE' });
    expect(await cloudflaredProcesses()).toEqual([]);
  });

  it('serialises connect, disconnect and connect again: the last word wins, one process', async () => {
    const { id } = await addFiles();
    const [, off, on] = await Promise.all([
      manager.connect(id),
      manager.disconnect(id),
      manager.connect(id),
    ]);
    expect(off).toMatchObject({ ok: true, value: { status: { status: 'disconnected' } } });
    expect(on).toMatchObject({ ok: true });
    await waitForConnections(manager, (l) => l[0]?.status.status === 'connected');
    expect(await cloudflaredProcesses()).toHaveLength(1);
    await manager.shutdown();
    expect(await cloudflaredProcesses()).toEqual([]);
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
