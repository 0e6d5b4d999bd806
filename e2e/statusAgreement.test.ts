import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { InstanceListItem } from '@cloud-connect/agent-core/api';
import type { ConnectionView } from '@cloud-connect/agent-core/desktop';
import { createDockerDiscovery } from '@cloud-connect/agent-core/docker';
import {
  composeManager,
  httpRelayClients,
  secretTokenStore,
  type Manager,
} from '@cloud-connect/agent-core/manager';
import { createMemorySecretStore } from '@cloud-connect/agent-core/secrets';
import { openSettings } from '@cloud-connect/agent-core/settings';
import { instanceStatusWords } from '@cloud-connect/agent-core/status';
import { RelayOnlyWireGuard } from '@cloud-connect/agent-core/testing';
import {
  createAccount,
  createInstance,
  manualClock,
  recordingWireGuard,
  startTestRelay,
  builtinEdgeEnv,
  builtinEdgeUrl,
  type ManualClock,
  type RecordingWireGuard,
  type TestAccount,
  type TestRelay,
} from '@cloud-connect/relay-server/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { aggregateState, stateWord } from '../main/src/tray/aggregateState.js';
import { buildTrayMenu } from '../main/src/tray/trayMenu.js';
import { connectionStatusView, instanceStatusView } from '../renderer/src/store/statusSelectors.js';

/**
 * One state through every surface: a real relay (built-in edge on loopback, TUNNEL_CIDR 127.x),
 * a real Manager whose WireGuard "driver" registers and heartbeats through the real instance
 * API (no interface: the relay side is what is under test), then the renderer's selectors for
 * the Instances screen and the connection card, the tray's menu builder and the Manager's
 * ConnectionView the CLI prints. They must say the same words, the same note and the same URL.
 */

interface World {
  t: TestRelay;
  clock: ManualClock;
  wg: RecordingWireGuard | null;
  manager: Manager;
  driver: () => RelayOnlyWireGuard;
  account: TestAccount;
  instanceId: string;
  subdomain: string;
  dir: string;
}

let world: World | null = null;
afterEach(async () => {
  if (!world) return;
  await world.manager.shutdown();
  await world.t.stop();
  await rm(world.dir, { recursive: true, force: true });
  world = null;
});

async function startWorld(handshakes: boolean): Promise<World> {
  // On a whole second, as WireGuard reports handshakes.
  const clock = manualClock(new Date(Math.floor(Date.now() / 1000) * 1000));
  const wg = handshakes ? recordingWireGuard(undefined, { handshakes: true }) : null;
  const t = await startTestRelay({
    clock,
    ...(wg ? { services: { wireguard: wg } } : {}),
    env: {
      ...builtinEdgeEnv(handshakes ? '127.81.0.0/16' : '127.82.0.0/16'),
      WG_ENDPOINT: 'relay.cloud.test:51820',
    },
  });
  const account = await createAccount(t);
  const subdomain = `agree${Date.now().toString(36)}${handshakes ? 'w' : 'o'}`;
  const { instance, credentials } = await createInstance(t, account, subdomain);
  const dir = await mkdtemp(path.join(tmpdir(), 'cc-status-'));
  let last: RelayOnlyWireGuard | null = null;
  const secrets = createMemorySecretStore();
  const manager = await composeManager({
    settings: await openSettings({ dataDir: dir, defaultRelayUrl: t.url }),
    secrets,
    clients: httpRelayClients(secretTokenStore(secrets)),
    drivers: {
      cloudflared: () => {
        throw new Error('not in this test');
      },
      relay: ({ api }) => (last = new RelayOnlyWireGuard(api)),
    },
    docker: createDockerDiscovery({ socketPath: path.join(dir, 'no-docker.sock') }),
    relayStatusIntervalMs: 50,
  });
  const signedIn = await manager.signIn(account.email, account.password);
  expect(signedIn.ok).toBe(true);
  const added = await manager.addConnection({
    kind: 'relay',
    name: 'Photos',
    instanceId: instance.id,
    target: 'http://127.0.0.1:9',
    enabled: false,
    instanceToken: credentials.instance_token,
  });
  if (!added.ok) throw new Error(added.message);
  world = {
    t,
    clock,
    wg,
    manager,
    driver: () => {
      if (!last) throw new Error('no driver started');
      return last;
    },
    account,
    instanceId: instance.id,
    subdomain,
    dir,
  };
  return world;
}

/** The Manager's connection once its relay report satisfies `ok` (it polls every 50 ms). */
async function connectionWhen(
  w: World,
  ok: (c: ConnectionView) => boolean,
): Promise<ConnectionView> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const list = await w.manager.listConnections();
    const c = list.ok ? list.value[0] : undefined;
    if (c && ok(c)) return c;
    if (Date.now() > deadline)
      throw new Error(`connection never reached the state: ${JSON.stringify(c)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function connectionId(w: World): Promise<string> {
  const list = await w.manager.listConnections();
  const id = list.ok ? list.value[0]?.id : undefined;
  if (!id) throw new Error('no connection');
  return id;
}

async function instanceItem(w: World): Promise<InstanceListItem> {
  const list = await w.manager.listInstances();
  if (!list.ok) throw new Error(list.message);
  const item = list.value.find((i) => i.id === w.instanceId);
  if (!item) throw new Error('instance not listed');
  return item;
}

/**
 * Every surface's words for the one instance/connection, which must all be equal:
 * the Instances screen (with and without the local connection), the connection card, the
 * tray's menu label and the Manager's view (what the CLI prints).
 */
async function everySurface(w: World, c: ConnectionView) {
  const item = await instanceItem(w);
  const relayOnly = instanceStatusWords(item);
  const instancesScreen = instanceStatusView(item, [c]);
  const card = connectionStatusView(c);
  const [trayItem] = buildTrayMenu([c]);
  return { item, relayOnly, instancesScreen, card, trayItem };
}

function expectAgreement(
  s: Awaited<ReturnType<typeof everySurface>>,
  c: ConnectionView,
  words: string,
  note: string | null,
) {
  for (const view of [s.relayOnly, s.instancesScreen, s.card]) {
    expect({ words: view.words, note: view.note }).toEqual({ words, note });
  }
  expect(stateWord(c)).toBe(words);
  expect(s.trayItem?.label).toBe(`Photos — ${words}`);
  if (note) expect(s.trayItem?.sublabel).toBe(note);
  // One public URL: the relay's list, the Manager's view (CLI), the cards and the tray.
  expect(s.item.public_url).toBe(c.publicUrl);
  expect(s.instancesScreen.publicUrl).toBe(c.publicUrl);
  expect(s.card.publicUrl).toBe(c.publicUrl);
  expect(s.trayItem?.submenu).toContainEqual({
    label: `Open ${c.publicUrl}`,
    action: { type: 'openUrl', url: c.publicUrl },
  });
}

describe('the Instances screen, the connection card, the tray and the CLI agree', () => {
  it('on a relay without WireGuard: connected, data path not checked by this relay', async () => {
    const w = await startWorld(false);
    expect((await w.manager.connect(await connectionId(w))).ok).toBe(true);
    const c = await connectionWhen(w, (x) => x.relay?.status === 'connected');
    const edgePort = new URL(builtinEdgeUrl(w.t)).port;
    expect(c.publicUrl).toBe(`http://${w.subdomain}.cloud.test:${edgePort}`);
    expectAgreement(
      await everySurface(w, c),
      c,
      'Connected',
      'data path not checked by this relay (it runs without WireGuard)',
    );
    expect(aggregateState([c])).toBe('connected');
  });

  it('on a relay with WireGuard: agent alive without a data path, then connected, then down', async () => {
    const w = await startWorld(true);
    expect((await w.manager.connect(await connectionId(w))).ok).toBe(true);

    // Heartbeats but no handshake: the agent is alive, no traffic gets through.
    let c = await connectionWhen(w, (x) => x.relay?.agent?.alive === true);
    let s = await everySurface(w, c);
    expect(s.item.data_path?.state).toBe('down');
    expectAgreement(s, c, 'Agent alive, no data path', s.item.data_path!.detail);
    expect(s.item.data_path!.detail).toMatch(/UDP to relay\.cloud\.test:51820 blocked\?/);
    expect(aggregateState([c])).toBe('error');

    // A handshake: connected, nothing to add.
    w.wg!.setHandshake(w.driver().publicKey, Math.floor(w.clock.now().getTime() / 1000));
    c = await connectionWhen(w, (x) => x.relay?.status === 'connected');
    expectAgreement(await everySurface(w, c), c, 'Connected', null);

    // Heartbeats and handshakes stop: down everywhere, though the local tunnel still runs.
    w.clock.advance(181_000);
    c = await connectionWhen(w, (x) => x.relay?.status === 'disconnected');
    expect(c.status.status).toBe('connected');
    s = await everySurface(w, c);
    expectAgreement(s, c, 'Disconnected', null);
    expect(aggregateState([c])).toBe('off');
  });
});
