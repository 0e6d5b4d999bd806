import { once } from 'node:events';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAccount,
  createInstance,
  manualClock,
  recordingWireGuard,
  startTestRelay,
  type ManualClock,
  type RecordingWireGuard,
  type TestRelay,
  UNCHECKED_DATA_PATH,
  builtinEdgeEnv,
  builtinEdgeUrl,
} from '../testing/index.js';
import { generateKeyPair } from '@cloud-connect/agent-core/wireguard';

/**
 * One status model for the API and the edge. Two real relays with the built-in edge on
 * loopback (TUNNEL_CIDR 127.x, a local HTTP server stands in for each agent's forwarder): one
 * whose WireGuard server reports handshakes, one like WG_MODE=off that cannot see them.
 */

interface World {
  t: TestRelay;
  clock: ManualClock;
  wg: RecordingWireGuard;
  edgeUrl: string;
}

const apps: Server[] = [];
let withWg: World;
let withoutWg: World;
let seq = 0;
const stamp = Date.now().toString(36);

async function world(handshakes: boolean, cidr: string): Promise<World> {
  // On a whole second, as WireGuard reports handshakes.
  const clock = manualClock(new Date(Math.floor(Date.now() / 1000) * 1000));
  const wg = recordingWireGuard(undefined, { handshakes });
  const t = await startTestRelay({
    clock,
    services: { wireguard: wg },
    env: { ...builtinEdgeEnv(cidr), WG_ENDPOINT: 'relay.cloud.test:51820' },
  });
  return { t, clock, wg, edgeUrl: builtinEdgeUrl(t) };
}

beforeAll(async () => {
  withWg = await world(true, '127.78.0.0/16');
  withoutWg = await world(false, '127.79.0.0/16');
});

afterAll(async () => {
  for (const a of apps) a.closeAllConnections();
  await Promise.all(apps.map((a) => new Promise((r) => a.close(r))));
  await withWg?.t.stop();
  await withoutWg?.t.stop();
});

/** A registered, heartbeating instance whose "forwarder" listens on its tunnel IP. */
async function onlineInstance(w: World) {
  const account = await createAccount(w.t);
  const subdomain = `live${++seq}x${stamp}`;
  const created = await createInstance(w.t, account, subdomain);
  const app = http.createServer((_req, res) => res.end(`app ${subdomain}`));
  app.listen(0, created.instance.tunnel_ip);
  await once(app, 'listening');
  apps.push(app);
  const token = created.credentials.instance_token;
  const publicKey = generateKeyPair().publicKey;
  const port = (app.address() as AddressInfo).port;
  const reg = await w.t.api.post(
    '/tunnel/register',
    { public_key: publicKey, target_port: port },
    { token },
  );
  expect(reg.status).toBe(200);
  const heartbeat = async () =>
    expect((await w.t.api.post('/tunnel/heartbeat', {}, { token })).status).toBe(200);
  await heartbeat();
  const detail = async () =>
    (await w.t.api.get(`/instances/${created.instance.id}`, { token: account.accessToken })).body;
  return { id: created.instance.id, host: `${subdomain}.cloud.test`, publicKey, heartbeat, detail };
}

/** What the edge does with a request for `host` once it applied every pending change. */
async function edgeStatus(w: World, host: string): Promise<number> {
  await w.t.relay.edge.routes.settled();
  const u = new URL(w.edgeUrl);
  return new Promise((resolve, reject) => {
    http
      .get(
        { host: u.hostname, port: u.port, path: '/', headers: { host }, agent: false },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      )
      .on('error', reject);
  });
}

const nowS = (w: World) => Math.floor(w.clock.now().getTime() / 1000);

describe('a relay that sees WireGuard handshakes', () => {
  it('calls a heartbeating agent without a handshake "agent alive", not connected, and the edge does not serve it', async () => {
    const i = await onlineInstance(withWg);
    const d = await i.detail();
    expect(d).toMatchObject({
      status: 'disconnected',
      agent: { alive: true },
      data_path: { state: 'down', checked_by_relay: true, last_handshake_at: null },
    });
    expect(d.data_path.detail).toMatch(
      /^no WireGuard handshake from the agent in the \d+ s since it registered \(UDP to relay\.cloud\.test:51820 blocked\?\)$/,
    );
    expect(await edgeStatus(withWg, i.host)).toBe(502);
  });

  it('is connected with a fresh handshake (API and edge), and both drop it when the handshake goes stale, without any API call', async () => {
    const i = await onlineInstance(withWg);
    withWg.wg.setHandshake(i.publicKey, nowS(withWg));
    expect(await i.detail()).toMatchObject({
      status: 'connected',
      data_path: { state: 'up', checked_by_relay: true, detail: 'WireGuard handshake 0 s ago' },
    });
    expect(await edgeStatus(withWg, i.host)).toBe(200);

    // Heartbeats keep coming; the handshake does not (UDP blocked since).
    withWg.clock.advance(181_000);
    await i.heartbeat();
    await withWg.t.relay.services.liveness.sweep();
    expect(await edgeStatus(withWg, i.host)).toBe(502);
    const d = await i.detail();
    expect(d).toMatchObject({ status: 'disconnected', agent: { alive: true } });
    expect(d.data_path.detail).toBe(
      'no WireGuard handshake from the agent for 3 min (UDP to relay.cloud.test:51820 blocked?)',
    );

    // The next handshake brings both back.
    withWg.wg.setHandshake(i.publicKey, nowS(withWg));
    await withWg.t.relay.services.liveness.sweep();
    expect(await edgeStatus(withWg, i.host)).toBe(200);
    expect((await i.detail()).status).toBe('connected');
  });
});

describe('a relay without WireGuard (WG_MODE=off)', () => {
  it('says connected on heartbeats with the data path "not checked by this relay", and the edge serves it', async () => {
    const i = await onlineInstance(withoutWg);
    expect(await i.detail()).toMatchObject({
      status: 'connected',
      agent: { alive: true },
      data_path: UNCHECKED_DATA_PATH,
      public_url: `http://${i.host}:${new URL(withoutWg.edgeUrl).port}`,
    });
    expect(await edgeStatus(withoutWg, i.host)).toBe(200);
  });

  it('takes the instance off the edge once its heartbeats stop, as the API says, without any API call', async () => {
    const i = await onlineInstance(withoutWg);
    expect(await edgeStatus(withoutWg, i.host)).toBe(200);
    withoutWg.clock.advance(181_000); // three heartbeats missed
    await withoutWg.t.relay.services.liveness.sweep();
    expect(await edgeStatus(withoutWg, i.host)).toBe(502);
    expect(await i.detail()).toMatchObject({ status: 'disconnected', agent: { alive: false } });
    await i.heartbeat();
    expect(await edgeStatus(withoutWg, i.host)).toBe(200);
    expect((await i.detail()).status).toBe('connected');
  });
});
