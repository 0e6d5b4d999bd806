import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createAccount,
  createInstance,
  recordingWireGuard,
  startTestRelay,
  type TestRelay,
} from '@cloud-connect/relay-server/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InstanceClient } from '../../client/instanceClient.js';
import { manualClock, type ManualClock } from '../../testing/manualClock.js';
import type { RunCommand } from '../../wireguard/index.js';
import type { DriverProbe } from '../driver.js';
import { TunnelError } from '../tunnelError.js';
import type { ProbeOutcome } from './tunnelProbe.js';
import { generateKeyPair } from '../../wireguard/keys.js';
import { WireGuardDriver } from './wireguardDriver.js';

// The driver's paths that need no interface, against a real relay (WG_MODE=off). Bringing the
// tunnel up is tested for real in e2e/wireguard.test.ts (namespaces, wireguard-go).

describe('WireGuardDriver before the interface', () => {
  let relay: TestRelay;
  let runtimeDir: string;
  beforeAll(async () => {
    relay = await startTestRelay();
    runtimeDir = await mkdtemp(path.join(tmpdir(), 'cc-wgdrv-'));
  });
  afterAll(async () => {
    await relay.stop();
    await rm(runtimeDir, { recursive: true, force: true });
  });

  const driverWith = (baseUrl: string, token: string) =>
    new WireGuardDriver({
      api: new InstanceClient({ baseUrl, timeoutMs: 2000 }, token),
      privateKey: generateKeyPair().privateKey,
      target: 'http://localhost:8080',
      runtimeDir,
    });

  it('fails start with TOKEN_REVOKED, not retryable, when the relay rejects the instance token', async () => {
    const account = await createAccount(relay);
    const created = await createInstance(relay, account, `revoked-${Date.now() % 100000}`);
    const regen = await relay.api.post(
      `/instances/${created.instance.id}/regenerate-token`,
      undefined,
      {
        token: account.accessToken,
      },
    );
    expect(regen.status).toBe(200);
    const driver = driverWith(relay.url, created.credentials.instance_token);
    const err = (await driver.start().catch((e: unknown) => e)) as TunnelError;
    expect(err).toBeInstanceOf(TunnelError);
    expect(err.code).toBe('TOKEN_REVOKED');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/regenerated or the instance was deleted/);
    expect(err.message).not.toContain(created.credentials.instance_token);
    expect(await driver.status()).toMatchObject({ running: false, connected: false, error: err });
    // Nothing was made: no runtime dir with a config file.
    expect(await readdir(runtimeDir)).toEqual([]);
  });

  it('fails start with UNREACHABLE, retryable, when the relay cannot be reached', async () => {
    const driver = driverWith('http://127.0.0.1:9', 'some-token-value');
    const err = (await driver.start().catch((e: unknown) => e)) as TunnelError;
    expect(err.code).toBe('UNREACHABLE');
    expect(err.retryable).toBe(true);
    expect(await readdir(runtimeDir)).toEqual([]);
  });

  it('fails start with RELAY_ERROR, not UNREACHABLE, when the relay answers but with a 5xx', async () => {
    const busy = createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: { code: 'SERVICE_UNAVAILABLE', message: 'The store is busy' } }),
      );
    });
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    try {
      const { port } = busy.address() as AddressInfo;
      const driver = driverWith(`http://127.0.0.1:${port}`, 'some-token-value');
      const err = (await driver.start().catch((e: unknown) => e)) as TunnelError;
      expect(err).toMatchObject({ code: 'RELAY_ERROR', retryable: true });
      expect(err.message).toMatch(/answered 503/);
      expect(err.message).not.toMatch(/internet/i);
      expect(await readdir(runtimeDir)).toEqual([]);
    } finally {
      await new Promise((r) => busy.close(r));
    }
  });

  it('stops cleanly when it never started', async () => {
    await expect(driverWith(relay.url, 'x'.repeat(20)).stop()).resolves.toBeUndefined();
  });

  it('refuses a private key that is not a WireGuard key with CONFIG_INVALID, at construction', () => {
    expect(
      () =>
        new WireGuardDriver({
          api: new InstanceClient({ baseUrl: relay.url }, 't'),
          privateKey: 'nope',
          target: 'http://localhost:8080',
        }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

// The driver's time rules with a manual clock: the interface is a kernel link whose commands a
// scripted runner answers (nothing is created), the tunnel IPs are on loopback (127.x pool), and
// the probe through the tunnel answers as the test says. Nothing waits on the wall clock.
describe('WireGuardDriver timing (manual clock)', () => {
  const SERVER_KEY_PAIR = generateKeyPair();
  let relay: TestRelay;
  let relayWithoutWg: TestRelay;
  let runtimeDir: string;
  const running: WireGuardDriver[] = [];
  beforeAll(async () => {
    const env = { TUNNEL_CIDR: '127.77.0.0/16' };
    relay = await startTestRelay({
      env,
      services: { wireguard: recordingWireGuard(SERVER_KEY_PAIR.publicKey, { handshakes: true }) },
    });
    relayWithoutWg = await startTestRelay({ env: { TUNNEL_CIDR: '127.78.0.0/16' } });
    runtimeDir = await mkdtemp(path.join(tmpdir(), 'cc-wgtime-'));
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((d) => d.stop()));
  });
  afterAll(async () => {
    await relay.stop();
    await relayWithoutWg.stop();
    await rm(runtimeDir, { recursive: true, force: true });
  });

  /** A started driver on `on`, its clock, the probes it made, and the levers the test pulls. */
  async function startDriver(on: TestRelay, options: { probeIntervalMs?: number } = {}) {
    const account = await createAccount(on);
    const created = await createInstance(on, account, `timing-${randomUUID().slice(0, 8)}`);
    // On a whole second, so handshake ages (whole seconds in `wg show`) come out exact.
    const clock = manualClock(new Date(Math.floor(Date.now() / 1000) * 1000));
    const lever = { reachable: false, handshakeAgeS: null as number | null, serverKey: '' };
    const probes: number[] = [];
    const probe = async (): Promise<ProbeOutcome> => {
      probes.push(clock.nowMs());
      const result = lever.reachable ? 'refused' : 'timeout';
      return { reachable: lever.reachable, result, latencyMs: 1 };
    };
    // `wg show <if> dump`: the relay as the only peer, with the handshake the test sets.
    const run: RunCommand = async (file, args) => {
      if (file === 'wg' && args[0] === 'show' && args[2] === 'dump') {
        const at = lever.handshakeAgeS === null ? 0 : clock.nowMs() / 1000 - lever.handshakeAgeS;
        const peer = [lever.serverKey, '(none)', '192.0.2.1:51820', '127.77.0.1/32'];
        return {
          stdout: `priv\tpub\t0\toff\n${[...peer, Math.floor(at), 0, 0, 25].join('\t')}`,
          stderr: '',
        };
      }
      return { stdout: '', stderr: '' };
    };
    const driver = new WireGuardDriver({
      api: new InstanceClient(
        { baseUrl: on.url, timeoutMs: 2000 },
        created.credentials.instance_token,
      ),
      privateKey: generateKeyPair().privateKey,
      target: `http://127.0.0.1:${20_000 + Math.floor(Math.random() * 20_000)}`,
      runtimeDir,
      mode: 'kernel',
      run,
      probe,
      clock,
      timers: clock,
      ...options,
    });
    running.push(driver);
    await driver.start();
    lever.serverKey = created.credentials.wireguard.server_public_key ?? '';
    return { driver, clock, probes, lever };
  }

  /** Let the probe that is due run to its end (its timer's callback starts async work). */
  const settle = (clock: ManualClock) => clock.tick(0);

  it('probes at once, every second until connected, then every probeIntervalMs', async () => {
    const { clock, probes, lever } = await startDriver(relay, { probeIntervalMs: 7000 });
    const start = clock.nowMs();
    await settle(clock);
    expect(probes).toEqual([start]);
    await clock.tick(999);
    expect(probes).toHaveLength(1);
    await clock.tick(1);
    expect(probes).toEqual([start, start + 1000]);
    lever.reachable = true;
    await clock.tick(1000);
    expect(probes).toHaveLength(3);
    // Connected now: the next probe waits the full interval.
    await clock.tick(6999);
    expect(probes).toHaveLength(3);
    await clock.tick(1);
    expect(probes.at(-1)).toBe(start + 2000 + 7000);
  });

  it('reports no error for the first 6 s without a handshake, then NO_HANDSHAKE with the wait', async () => {
    const { driver, clock } = await startDriver(relay);
    clock.advance(5999);
    const early: DriverProbe = await driver.status();
    expect(early).toMatchObject({ running: true, connected: false, error: null });
    clock.advance(1);
    const late = await driver.status();
    expect(late.error).toMatchObject({ code: 'NO_HANDSHAKE', details: { waited_seconds: 6 } });
    expect(late.error?.message).toMatch(/No WireGuard handshake from the relay after 6 s/);
  });

  it('names the age of the last handshake when the tunnel stops answering', async () => {
    const { driver, lever } = await startDriver(relay);
    lever.handshakeAgeS = 42;
    const probe = await driver.status();
    expect(probe.details).toMatchObject({ handshake_age_seconds: 42 });
    expect(probe.error).toMatchObject({
      code: 'NO_HANDSHAKE',
      details: { handshake_age_seconds: 42 },
    });
  });

  it('leaves no timer behind once stopped, the relay having answered the disconnect in time', async () => {
    const { driver, clock } = await startDriver(relay);
    await driver.stop();
    expect(clock.pendingDelays()).toEqual([]);
  });

  it('says the relay runs without WireGuard once the grace is over and no handshake came', async () => {
    const { driver, clock } = await startDriver(relayWithoutWg);
    expect((await driver.status()).error).toBeNull();
    clock.advance(6000);
    expect((await driver.status()).error).toMatchObject({ code: 'RELAY_WITHOUT_WIREGUARD' });
  });
});
