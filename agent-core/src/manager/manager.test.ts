import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createAccount,
  createInstance,
  startTestRelay,
  until,
} from '@cloud-connect/relay-server/testing';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import type { InstanceApi } from '../client/instanceClient.js';
import { memoryTokenStore, type TokenStore } from '../client/relayClient.js';
import { createDockerDiscovery } from '../docker/dockerDiscovery.js';
import { createMemorySecretStore } from '../secrets/memorySecretStore.js';
import { secretAccounts } from '../secrets/secretAccounts.js';
import { SecretError } from '../secrets/secretError.js';
import type { SecretStore } from '../secrets/secretStore.js';
import { openSettings } from '../settings/settingsStore.js';
import { manualClock } from '../testing/manualClock.js';
import { RelayOnlyWireGuard } from '../testing/relayOnlyWireGuard.js';
import { createManager } from './createManager.js';
import { composeManager, type Manager, type ManagerDeps } from './manager.js';
import { httpRelayClients, type RelayClientFactory } from './relayClients.js';
import { secretTokenStore } from './sessionTokens.js';

// The seams of the Manager's composition: which relay it is built for, and where its relay
// clients come from. What the Manager does over them is tested in e2e/manager.test.ts.

// Loopback addresses nothing answers on: no test here reaches them.
const SAVED_RELAY = 'http://127.0.0.1:8790';
const OTHER_RELAY = 'http://127.0.0.1:8791';
const SESSION = JSON.stringify({ access_token: 'eyJ.access.t', refresh_token: 'eyJ.refresh.t' });

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cc-manager-unit-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
});

/** `built`, shut down when the test finishes, passed or failed. */
async function stoppedAfterTest(built: Promise<Manager>): Promise<Manager> {
  const m = await built;
  onTestFinished(() => m.shutdown());
  return m;
}

/** The relay URL in the settings file on disk. */
async function savedRelay(): Promise<string> {
  const file = JSON.parse(await readFile(path.join(dir, 'settings.json'), 'utf8')) as {
    relayUrl: string;
  };
  return file.relayUrl;
}

/** A data dir whose settings name SAVED_RELAY and whose secrets hold a session for it. */
async function signedInAtSavedRelay(): Promise<SecretStore> {
  await (await openSettings({ dataDir: dir })).setRelayUrl(SAVED_RELAY);
  const secrets = createMemorySecretStore();
  await secrets.set(secretAccounts.session, SESSION);
  return secrets;
}

/** `secrets` behind a keychain that went locked: reads answer, deleting rejects. */
function lockedOnDelete(secrets: SecretStore): SecretStore {
  return {
    backend: secrets.backend,
    location: secrets.location,
    get: (account) => secrets.get(account),
    set: (account, secret) => secrets.set(account, secret),
    delete: () => Promise.reject(new SecretError('KEYCHAIN_LOCKED', 'the keychain is locked')),
    listAccounts: () => secrets.listAccounts(),
  };
}

const build = (secrets: SecretStore, relayUrl?: string) =>
  stoppedAfterTest(
    createManager({
      dataDir: dir,
      secrets,
      statusRunner: null,
      dockerSocket: path.join(dir, 'no-docker.sock'),
      ...(relayUrl !== undefined ? { relayUrl } : {}),
    }),
  );

const relayLines = (m: Manager) =>
  m.logs.list().filter((e) => e.message.startsWith('Relay set to'));

describe('createManager: the relay it is built for', () => {
  it('keeps the session when built for the relay it belongs to, however the URL is spelled', async () => {
    const secrets = await signedInAtSavedRelay();
    const manager = await build(secrets, `${SAVED_RELAY}//`);
    expect(await secrets.get(secretAccounts.session)).toBe(SESSION);
    expect(await savedRelay()).toBe(SAVED_RELAY);
    expect(relayLines(manager)).toEqual([]);
  });

  it('switches to another relay before anything runs: saved, the old session forgotten, logged once', async () => {
    const secrets = await signedInAtSavedRelay();
    const manager = await build(secrets, `${OTHER_RELAY}/`);
    expect(await savedRelay()).toBe(OTHER_RELAY);
    expect(await secrets.get(secretAccounts.session)).toBeNull();
    expect(relayLines(manager).map((e) => e.message)).toEqual([`Relay set to ${OTHER_RELAY}`]);
    // Nobody is signed in, so this asks no relay.
    expect(await manager.getSession()).toEqual({
      ok: true,
      value: { signedIn: false, relayUrl: OTHER_RELAY, user: null },
    });
  });

  it.each([
    ['not http(s)', 'ftp://relay.example.com'],
    ['not a URL', 'relay example'],
  ])(
    'refuses a relay URL that is %s with a clear error and changes nothing',
    async (_, relayUrl) => {
      const secrets = await signedInAtSavedRelay();
      const failure = await build(secrets, relayUrl).then(
        () => null,
        (e: unknown) => e as { code: string; message: string },
      );
      expect(failure).toMatchObject({
        code: 'SETTINGS_INVALID',
        message: expect.stringMatching(/^CLOUD_CONNECT_RELAY_URL: .*relayUrl/),
      });
      expect(await savedRelay()).toBe(SAVED_RELAY);
      expect(await secrets.get(secretAccounts.session)).toBe(SESSION);
    },
  );

  it('keeps the saved relay when the old session cannot be forgotten, so its tokens never go to the new one', async () => {
    const secrets = await signedInAtSavedRelay();
    const failure = await build(lockedOnDelete(secrets), OTHER_RELAY).then(
      () => null,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(failure).toMatchObject({
      code: 'KEYCHAIN_LOCKED',
      message: 'CLOUD_CONNECT_RELAY_URL: the keychain is locked',
    });
    expect(await savedRelay()).toBe(SAVED_RELAY);
    expect(await secrets.get(secretAccounts.session)).toBe(SESSION);
  });
});

/** A factory that records which relay each client was made for. */
function recordingClients(
  tokens: TokenStore = memoryTokenStore(),
): RelayClientFactory & { users: string[]; instances: string[] } {
  const http = httpRelayClients(tokens);
  const users: string[] = [];
  const instances: string[] = [];
  return {
    users,
    instances,
    user(relayUrl) {
      users.push(relayUrl);
      return http.user(relayUrl);
    },
    instance(relayUrl, token) {
      instances.push(relayUrl);
      return http.instance(relayUrl, token);
    },
  };
}

/**
 * A relay on loopback, stopped when the test finishes, and a new account's instance on it.
 * Registering hands out a tunnel address: `tunnelCidr` is a loopback range, WireGuard is off.
 */
async function relayWithInstance(tunnelCidr: string, subdomainPrefix: string) {
  const relay = await startTestRelay({ env: { TUNNEL_CIDR: tunnelCidr } });
  onTestFinished(() => relay.stop());
  const account = await createAccount(relay);
  const subdomain = `${subdomainPrefix}${Date.now().toString(36)}`;
  return { relay, ...(await createInstance(relay, account, subdomain)) };
}

async function composed(
  clients: RelayClientFactory,
  relayUrl: string,
  extra: Partial<ManagerDeps> = {},
): Promise<Manager> {
  return stoppedAfterTest(
    composeManager({
      settings: await openSettings({ dataDir: dir, defaultRelayUrl: relayUrl }),
      secrets: createMemorySecretStore(),
      clients,
      drivers: {
        cloudflared: () => {
          throw new Error('not in this test');
        },
        relay: ({ api }) => new RelayOnlyWireGuard(api),
      },
      docker: createDockerDiscovery({ socketPath: path.join(dir, 'no-docker.sock') }),
      ...extra,
    }),
  );
}

describe('composeManager: relay clients come from the factory passed in', () => {
  it('makes the user client for the saved relay, and a new one when the user switches relay', async () => {
    const clients = recordingClients();
    const manager = await composed(clients, SAVED_RELAY);
    expect(clients.users).toEqual([SAVED_RELAY]);
    const switched = await manager.setRelayUrl(`${OTHER_RELAY}/`);
    expect(switched).toMatchObject({ ok: true, value: { relayUrl: OTHER_RELAY } });
    expect(clients.users).toEqual([SAVED_RELAY, OTHER_RELAY]);
    // The same relay again is no switch: no new client.
    await manager.setRelayUrl(OTHER_RELAY);
    expect(clients.users).toEqual([SAVED_RELAY, OTHER_RELAY]);
  });

  it('stays at the saved relay when switching cannot forget its session: no client for the new one', async () => {
    const secrets = await signedInAtSavedRelay();
    const clients = recordingClients(secretTokenStore(lockedOnDelete(secrets)));
    const manager = await composed(clients, SAVED_RELAY);
    expect(await manager.setRelayUrl(OTHER_RELAY)).toMatchObject({
      ok: false,
      code: 'KEYCHAIN_LOCKED',
    });
    expect(clients.users).toEqual([SAVED_RELAY]);
    expect(await savedRelay()).toBe(SAVED_RELAY);
    expect(await secrets.get(secretAccounts.session)).toBe(SESSION);
  });

  describe('against a real relay', () => {
    it("polls the relay through a running connection's one instance client", async () => {
      const { relay, instance, credentials } = await relayWithInstance('127.83.0.0/16', 'poll');
      const clients = recordingClients();
      const asked: InstanceApi[] = [];
      const counting: RelayClientFactory = {
        user: (url) => clients.user(url),
        instance(url, token) {
          const api = clients.instance(url, token);
          return {
            registerTunnel: (body) => api.registerTunnel(body),
            heartbeat: () => api.heartbeat(),
            disconnect: () => api.disconnect(),
            status: () => {
              asked.push(api);
              return api.status();
            },
          };
        },
      };
      const clock = manualClock();
      const manager = await composed(counting, relay.url, {
        timers: clock,
        supervisor: { clock, timers: clock },
        relayStatusIntervalMs: 15_000,
      });
      const added = await manager.addConnection({
        kind: 'relay',
        name: 'Polled',
        instanceId: instance.id,
        target: 'http://127.0.0.1:9',
        instanceToken: credentials.instance_token,
      });
      if (!added.ok) throw new Error(added.message);
      expect(await manager.connect(added.value.id)).toMatchObject({ ok: true });
      await until('the relay answered for the connection', async () => {
        const list = await manager.listConnections();
        return list.ok && list.value[0]?.status.status === 'connected' && list.value[0].relay;
      });
      const before = asked.length;
      for (let i = 0; i < 3; i += 1) await clock.tick(15_000);
      expect(asked.length - before).toBe(3);
      expect(new Set(asked).size).toBe(1);
      expect(clients.instances).toEqual([relay.url]);
    });
  });
});

describe("a relay connection's transport", () => {
  const INSTANCE = 'inst_abcdefghij12';
  const TOKEN = 'itk_0123456789abcdefghijklmnop';

  /** The settings file's connections on disk. */
  async function savedConnections(): Promise<Array<Record<string, unknown>>> {
    const file = JSON.parse(await readFile(path.join(dir, 'settings.json'), 'utf8')) as {
      connections: Array<Record<string, unknown>>;
    };
    return file.connections;
  }

  const relayInput = {
    kind: 'relay',
    name: 'Photos',
    instanceId: INSTANCE,
    target: 'http://127.0.0.1:9',
    instanceToken: TOKEN,
  } as const;

  it('is auto when left out, and is saved and shown as chosen', async () => {
    const manager = await composed(recordingClients(), SAVED_RELAY);
    const auto = await manager.addConnection(relayInput);
    expect(auto).toMatchObject({ ok: true, value: { kind: 'relay', transport: 'auto' } });
    const stream = await manager.addConnection({ ...relayInput, transport: 'stream' });
    expect(stream).toMatchObject({ ok: true, value: { transport: 'stream' } });
    if (!stream.ok) return;
    expect(
      await manager.updateConnection(stream.value.id, { transport: 'wireguard' }),
    ).toMatchObject({ ok: true, value: { transport: 'wireguard' } });
    expect((await savedConnections()).map((c) => c.transport)).toEqual(['auto', 'wireguard']);
  });

  it.each([
    ['an unknown word', 'udp'],
    ['the old kind as a transport', 'relay'],
    ['a number', 2],
  ])(
    'refuses %s as a transport on add with VALIDATION_ERROR naming the three: nothing saved',
    async (_, transport) => {
      const manager = await composed(recordingClients(), SAVED_RELAY);
      const added = await manager.addConnection({ ...relayInput, transport } as never);
      expect(added).toMatchObject({
        ok: false,
        code: 'VALIDATION_ERROR',
        message: expect.stringMatching(/auto, wireguard or stream/),
        fields: { transport: 'must be auto, wireguard or stream' },
      });
      expect(await manager.listConnections()).toEqual({ ok: true, value: [] });
      expect(await manager.listConnections()).toMatchObject({ value: [] });
    },
  );

  it('refuses an unknown transport on edit, and any transport for a Cloudflare connection: nothing changed', async () => {
    const manager = await composed(recordingClients(), SAVED_RELAY);
    const relay = await manager.addConnection(relayInput);
    const cloudflare = await manager.addConnection({
      kind: 'cloudflare',
      name: 'Blog',
      token: `eyJ${'a'.repeat(80)}`,
    });
    if (!relay.ok || !cloudflare.ok) throw new Error('not added');
    const before = await savedConnections();
    expect(
      await manager.updateConnection(relay.value.id, { transport: 'udp' } as never),
    ).toMatchObject({
      ok: false,
      code: 'VALIDATION_ERROR',
      fields: { transport: expect.any(String) },
    });
    expect(
      await manager.updateConnection(cloudflare.value.id, { transport: 'stream' }),
    ).toMatchObject({
      ok: false,
      code: 'VALIDATION_ERROR',
      message: 'Only relay connections have a transport',
    });
    expect(await savedConnections()).toEqual(before);
  });

  describe('against a real relay', () => {
    it("builds the relay driver with the chosen transport, the relay's URL and the instance token, and again after the transport changes", async () => {
      const { relay, instance, credentials } = await relayWithInstance(
        '127.84.0.0/16',
        'transport',
      );
      const built: Array<{ transport: string; relayUrl: string; token: string; target: string }> =
        [];
      const manager = await composed(recordingClients(), relay.url, {
        drivers: {
          cloudflared: () => {
            throw new Error('not in this test');
          },
          relay: (options) => {
            const { transport, relayUrl, token, target } = options;
            built.push({ transport, relayUrl, token, target });
            return new RelayOnlyWireGuard(options.api);
          },
        },
      });
      const added = await manager.addConnection({
        kind: 'relay',
        name: 'Streamed',
        instanceId: instance.id,
        transport: 'stream',
        target: 'http://127.0.0.1:9',
        instanceToken: credentials.instance_token,
      });
      if (!added.ok) throw new Error(added.message);
      expect(await manager.connect(added.value.id)).toMatchObject({ ok: true });
      const expected = {
        relayUrl: relay.url,
        token: credentials.instance_token,
        target: 'http://127.0.0.1:9',
      };
      expect(built).toEqual([{ transport: 'stream', ...expected }]);
      // A running tunnel restarts on its new transport; the same transport again is no change.
      await manager.updateConnection(added.value.id, { transport: 'wireguard' });
      await manager.updateConnection(added.value.id, { transport: 'wireguard' });
      expect(built).toEqual([
        { transport: 'stream', ...expected },
        { transport: 'wireguard', ...expected },
      ]);
    });
  });
});
