import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  builtinEdgeEnv,
  createAccount,
  createInstance,
  recordingWireGuard,
  startTestRelay,
  type TestRelay,
} from '@cloud-connect/relay-server/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { InstanceClient, type InstanceApi } from '../../client/instanceClient.js';
import { manualClock, type ManualClock } from '../../testing/manualClock.js';
import type { RunCommand } from '../../wireguard/index.js';
import { generateKeyPair } from '../../wireguard/keys.js';
import type { DriverLogLine, DriverProbe } from '../driver.js';
import { TunnelError } from '../tunnelError.js';
import { agentRunner } from '../wireguard/agentWireGuard.js';
import { RelayDriver, type RelayDriverOptions } from './relayDriver.js';
import { mapRegistrations } from './registrations.js';

// The transport choice against real relays on loopback: one that offers WireGuard (its
// WireGuard server is the recording stand-in, WG_MODE says wireguard-go) and the stream
// transport, one with WG_MODE=off. The agent's WireGuard interface is either a kernel link
// whose commands a scripted runner answers (nothing is made; the probe through the tunnel
// answers as the test says) or the real `ip` run as nobody, which fails as it does on a
// machine without root. Time (the handshake grace) is a manual clock.

const WG_ENDPOINT = '127.0.0.1:51999';
/** Real sessions and requests on a loaded machine: wait for them in real time, generously. */
const WAIT = { interval: 10, timeout: 10_000 };
const NOBODY = ['--reuid=nobody', '--regid=nogroup', '--clear-groups'];

/** The real runner as an unprivileged user: `ip link add` answers "Operation not permitted". */
const unprivileged: RunCommand = (file, args) => agentRunner('setpriv', [...NOBODY, file, ...args]);

describe('RelayDriver', () => {
  let relay: TestRelay;
  let relayWithoutWg: TestRelay;
  let app: http.Server;
  let target: string;
  let runtimeDir: string;
  const drivers: RelayDriver[] = [];
  beforeAll(async () => {
    relay = await startTestRelay({
      env: { ...builtinEdgeEnv('127.93.0.0/16'), WG_MODE: 'wireguard-go', WG_ENDPOINT },
      services: {
        wireguard: recordingWireGuard(generateKeyPair().publicKey, { handshakes: true }),
      },
    });
    relayWithoutWg = await startTestRelay({ env: builtinEdgeEnv('127.94.0.0/16') });
    app = http.createServer((_req, res) => res.end('app'));
    app.listen(0, '127.0.0.1');
    await once(app, 'listening');
    target = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    runtimeDir = await mkdtemp(path.join(tmpdir(), 'cc-relaydrv-'));
  });
  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((d) => d.stop()));
  });
  afterAll(async () => {
    app.closeAllConnections();
    await new Promise((r) => app.close(r));
    await relay.stop();
    await relayWithoutWg.stop();
    await rm(runtimeDir, { recursive: true, force: true });
  });

  /** Scripted `wg`/`ip`: every command succeeds and is recorded (nothing is made). */
  function scriptedRun() {
    const calls: string[] = [];
    const run: RunCommand = async (file, args) => {
      calls.push(`${file} ${args.join(' ')}`);
      return { stdout: '', stderr: '' };
    };
    return { run, calls };
  }

  interface Setup {
    on?: TestRelay;
    transport?: RelayDriverOptions['transport'];
    run?: RunCommand;
    /** Whether the probe through the tunnel reaches the relay (a handshake came). */
    reachable?: boolean;
    handshakeGraceMs?: number;
    /** The instance API as the driver sees it (e.g. an older relay's answers). */
    api?: (api: InstanceApi) => InstanceApi;
  }

  /** A RelayDriver for a fresh instance on `on`, its clock, and what it emitted. */
  async function setup(s: Setup = {}) {
    const on = s.on ?? relay;
    const account = await createAccount(on);
    const created = await createInstance(on, account, `rd-${randomUUID().slice(0, 8)}`);
    const token = created.credentials.instance_token;
    const clock = manualClock();
    const api = new InstanceClient({ baseUrl: on.url, timeoutMs: 2000 }, token);
    const driver = new RelayDriver({
      transport: s.transport ?? 'auto',
      api: s.api ? s.api(api) : api,
      relayUrl: on.url,
      token,
      privateKey: generateKeyPair().privateKey,
      target,
      handshakeGraceMs: s.handshakeGraceMs,
      wireguard: {
        mode: 'kernel',
        runtimeDir,
        run: s.run ?? scriptedRun().run,
        probe: async () =>
          s.reachable
            ? { reachable: true, result: 'refused', latencyMs: 1 }
            : { reachable: false, result: 'timeout', latencyMs: 3000 },
      },
      stream: { proxy: null, random: () => 0 },
      clock,
      timers: clock,
    });
    drivers.push(driver);
    const probes: DriverProbe[] = [];
    const logs: DriverLogLine[] = [];
    driver.events.on('probe', (p) => probes.push(p));
    driver.events.on('log', (l) => logs.push(l));
    const id = created.instance.id;
    const sessions = () => on.relay.streams.count(id);
    return { driver, clock, probes, logs, account, created, id, on, sessions };
  }

  /** Start, moving the manual clock by `ms` once the WireGuard attempt waits on its grace. */
  async function startThrough(driver: RelayDriver, clock: ManualClock, ms: number) {
    let done = false;
    const started = driver.start().finally(() => (done = true));
    // The probe through the tunnel is due at once after the interface is up.
    await clock.whenScheduled((d) => d === 0);
    await clock.tick(0);
    for (let moved = 0; moved < ms && !done; moved += 1000) await clock.tick(1000);
    return started;
  }

  const chosen = (logs: DriverLogLine[]) =>
    logs.filter((l) => l.message.startsWith('Using ')).map((l) => `${l.level} ${l.message}`);

  it('auto uses WireGuard when it connects: no reason, no stream session', async () => {
    const { driver, clock, probes, logs, created, sessions } = await setup({ reachable: true });
    await startThrough(driver, clock, 0);
    const status = await driver.status();
    expect(status).toMatchObject({
      running: true,
      connected: true,
      hostnames: [created.instance.full_domain],
      details: { transport: 'wireguard', transport_reason: null, probe_result: 'refused' },
    });
    expect(probes.at(-1)).toMatchObject({
      connected: true,
      details: { transport: 'wireguard', transport_reason: null },
    });
    expect(chosen(logs)).toEqual(['info Using WireGuard: it connected']);
    expect(sessions()).toBe(0);
  });

  it('auto falls back to the stream transport when the interface needs permission it lacks', async () => {
    const { driver, probes, logs, created, sessions } = await setup({ run: unprivileged });
    await driver.start();
    await vi.waitFor(() => expect(sessions()).toBe(2), WAIT);
    const reason = 'no permission to create a network interface';
    expect(await driver.status()).toMatchObject({
      running: true,
      connected: true,
      hostnames: [created.instance.full_domain],
      error: null,
      details: { transport: 'stream', transport_reason: reason, sessions: 2 },
    });
    expect(probes.length).toBeGreaterThan(0);
    for (const p of probes) expect(p.details).toMatchObject({ transport: 'stream' });
    expect(chosen(logs)).toEqual([`info Using the stream transport: ${reason}`]);
    // The real `ip` refused: nothing was made, no config file left.
    expect(await readdir(runtimeDir)).toEqual([]);
  });

  it('auto falls back when no handshake comes within the grace, after removing the interface', async () => {
    const { run, calls } = scriptedRun();
    const { driver, clock, logs, sessions } = await setup({ run });
    let done = false;
    const started = driver.start().finally(() => (done = true));
    await clock.whenScheduled((d) => d === 0);
    await clock.tick(4999);
    expect(done).toBe(false);
    expect(sessions()).toBe(0);
    await clock.tick(1);
    await started;
    const reason = `no WireGuard handshake in 5 s: UDP to ${WG_ENDPOINT} blocked?`;
    expect(chosen(logs)).toEqual([`info Using the stream transport: ${reason}`]);
    // The WireGuard attempt is gone before the stream opened: link deleted, relay told.
    expect(calls.filter((c) => c.startsWith('ip link del'))).toHaveLength(1);
    expect(await readdir(runtimeDir)).toEqual([]);
    await vi.waitFor(() => expect(sessions()).toBe(2), WAIT);
    expect((await driver.status()).details).toMatchObject({
      transport: 'stream',
      transport_reason: reason,
    });
  });

  it('auto says how long the grace was when it is not the default', async () => {
    const { driver, clock, logs } = await setup({ handshakeGraceMs: 1500 });
    await startThrough(driver, clock, 2000);
    expect(chosen(logs)).toEqual([
      `info Using the stream transport: no WireGuard handshake in 1.5 s: UDP to ${WG_ENDPOINT} blocked?`,
    ]);
  });

  it('auto uses the stream transport at once when the relay does not offer WireGuard', async () => {
    const { run, calls } = scriptedRun();
    const { driver, logs, sessions } = await setup({ on: relayWithoutWg, run });
    await driver.start();
    await vi.waitFor(() => expect(sessions()).toBe(2), WAIT);
    expect(calls).toEqual([]);
    expect(chosen(logs)).toEqual([
      'info Using the stream transport: the relay does not offer WireGuard',
    ]);
    expect((await driver.status()).details).toMatchObject({
      transport: 'stream',
      transport_reason: 'the relay does not offer WireGuard',
    });
  });

  /** A relay without the stream transport (no API server of its own hands out sessions). */
  const withoutStream = (api: InstanceApi): InstanceApi =>
    mapRegistrations(api, (answer) => ({
      ...answer,
      transports: { wireguard: answer.transports?.wireguard ?? true, stream: null },
    }));

  it('auto without a stream transport to fall back to keeps the WireGuard failure, the reason added', async () => {
    const { driver, sessions } = await setup({ run: unprivileged, api: withoutStream });
    const err = (await driver.start().catch((e: unknown) => e)) as TunnelError;
    expect(err).toBeInstanceOf(TunnelError);
    expect(err.code).toBe('PERMISSION_DENIED');
    expect(err.message).toMatch(
      /^No permission to create a network interface, and the relay does not offer the stream transport: .*needs root or CAP_NET_ADMIN/,
    );
    expect(await driver.status()).toMatchObject({
      running: false,
      error: err,
      details: { transport: null },
    });
    expect(sessions()).toBe(0);
  });

  it('auto without a handshake and without a stream transport keeps WireGuard trying', async () => {
    const { driver, clock, logs } = await setup({ api: withoutStream });
    await startThrough(driver, clock, 5000);
    const reason = `no WireGuard handshake in 5 s: UDP to ${WG_ENDPOINT} blocked?; the relay does not offer the stream transport`;
    expect(chosen(logs)).toEqual([`info Using WireGuard: ${reason}`]);
    expect(await driver.status()).toMatchObject({
      running: true,
      connected: false,
      details: { transport: 'wireguard', transport_reason: reason },
    });
  });

  it('auto on a relay with neither transport says so', async () => {
    const { driver } = await setup({ on: relayWithoutWg, api: withoutStream });
    await expect(driver.start()).rejects.toMatchObject({
      code: 'RELAY_WITHOUT_WIREGUARD',
      message: expect.stringMatching(/neither WireGuard nor the stream transport/),
    });
  });

  it('a revoked token is final: auto does not fall back', async () => {
    const { driver, account, id, logs, sessions } = await setup({ run: unprivileged });
    const regen = await relay.api.post(`/instances/${id}/regenerate-token`, undefined, {
      token: account.accessToken,
    });
    expect(regen.status).toBe(200);
    const err = (await driver.start().catch((e: unknown) => e)) as TunnelError;
    expect(err).toMatchObject({ code: 'TOKEN_REVOKED', retryable: false });
    expect(chosen(logs)).toEqual([]);
    expect(sessions()).toBe(0);
    expect((await driver.status()).error?.code).toBe('TOKEN_REVOKED');
  });

  it('explicit wireguard does not fall back: the permission error ends the start', async () => {
    const { driver, logs, sessions } = await setup({ transport: 'wireguard', run: unprivileged });
    await expect(driver.start()).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      retryable: false,
    });
    expect(chosen(logs)).toEqual(['info Using WireGuard (chosen in the settings)']);
    expect(sessions()).toBe(0);
  });

  it('explicit wireguard does not wait for a handshake, nor leave WireGuard without one', async () => {
    const { driver, clock } = await setup({ transport: 'wireguard' });
    await driver.start();
    await clock.tick(10_000);
    expect(await driver.status()).toMatchObject({
      running: true,
      connected: false,
      details: { transport: 'wireguard', transport_reason: null },
    });
  });

  it('explicit stream never registers and names the public host from the relay', async () => {
    const { run, calls } = scriptedRun();
    const { driver, logs, id, created, sessions } = await setup({ transport: 'stream', run });
    await driver.start();
    await vi.waitFor(() => expect(sessions()).toBe(2), WAIT);
    await vi.waitFor(
      async () => expect((await driver.status()).hostnames).toEqual([created.instance.full_domain]),
      WAIT,
    );
    expect((await driver.status()).details).toMatchObject({
      transport: 'stream',
      transport_reason: null,
    });
    expect(chosen(logs)).toEqual(['info Using the stream transport (chosen in the settings)']);
    expect(calls).toEqual([]);
    expect((await relay.relay.services.store.instances.get(id))?.publicKey).toBeNull();
  });

  it('a stop during the grace leaves no interface, no session, and a start that resolves', async () => {
    const { run, calls } = scriptedRun();
    const { driver, clock, sessions } = await setup({ run });
    const started = driver.start();
    await clock.whenScheduled((d) => d === 0);
    await clock.tick(2000);
    await driver.stop();
    await expect(started).resolves.toBeUndefined();
    expect(calls.filter((c) => c.startsWith('ip link del'))).toHaveLength(1);
    expect(await readdir(runtimeDir)).toEqual([]);
    await clock.tick(10_000);
    expect(sessions()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    expect(await driver.status()).toMatchObject({ running: false, details: { transport: null } });
  });

  it('starts again after a stop, and stop is idempotent', async () => {
    const { driver, sessions } = await setup({ run: unprivileged });
    await driver.start();
    await vi.waitFor(() => expect(sessions()).toBe(2), WAIT);
    await driver.stop();
    await driver.stop();
    await vi.waitFor(() => expect(sessions()).toBe(0), WAIT);
    await driver.start();
    await vi.waitFor(() => expect(sessions()).toBe(2), WAIT);
  });

  it('a start asked for while a stop cancels an earlier one runs after the stop', async () => {
    const { driver, sessions } = await setup({ transport: 'stream' });
    const first = driver.start();
    const stopped = driver.stop();
    const second = driver.start();
    await Promise.all([first, stopped, second]);
    expect(await driver.status()).toMatchObject({
      running: true,
      details: { transport: 'stream' },
    });
    await vi.waitFor(() => expect(sessions()).toBe(2), WAIT);
  });

  it('a stop asked for while a start waits on an earlier stop leaves nothing running', async () => {
    const { run, calls } = scriptedRun();
    const { driver, clock, sessions } = await setup({ run, reachable: true });
    await startThrough(driver, clock, 0);
    const stopped = driver.stop();
    let done = false;
    const started = driver.start().finally(() => (done = true));
    await Promise.all([stopped, driver.stop()]);
    // The start gives up once the stops are done: it does not make a second interface.
    await vi.waitFor(() => expect(done).toBe(true), WAIT);
    await started;
    await clock.tick(10_000);
    expect(await driver.status()).toMatchObject({ running: false });
    expect(calls.filter((c) => c.startsWith('ip link add'))).toHaveLength(1);
    expect(sessions()).toBe(0);
  });

  it('forwards the stream driver exit (revoked token) and starts again only to be refused', async () => {
    const { driver, clock, account, id, sessions } = await setup({ run: unprivileged });
    await driver.start();
    await vi.waitFor(() => expect(sessions()).toBe(2), WAIT);
    const exit = once(driver.events, 'exit');
    await relay.api.post(`/instances/${id}/regenerate-token`, undefined, {
      token: account.accessToken,
    });
    // The relay closes the sessions; the redial after the first backoff step is refused.
    await clock.whenScheduled((ms) => ms === 1_000);
    await clock.tick(1_000);
    const [error] = (await exit) as [TunnelError];
    expect(error.code).toBe('TOKEN_REVOKED');
    expect(await driver.status()).toMatchObject({ running: false, error });
    await expect(driver.start()).rejects.toMatchObject({ code: 'TOKEN_REVOKED' });
  });

  it('checks the target as the tunnel would dial it', async () => {
    const { driver } = await setup({ transport: 'stream' });
    await expect(driver.checkTarget()).resolves.toBeNull();
  });

  it.each([
    ['auto', { privateKey: 'not-a-key' }],
    ['stream', { relayUrl: 'ftp://relay' }],
    ['wireguard', { target: 'not a url' }],
  ] as const)(
    'refuses bad settings for %s with CONFIG_INVALID at construction',
    (transport, bad) => {
      const api = new InstanceClient({ baseUrl: relay.url }, 't');
      expect(
        () =>
          new RelayDriver({
            transport,
            api,
            relayUrl: relay.url,
            token: 't',
            privateKey: generateKeyPair().privateKey,
            target,
            ...bad,
          }),
      ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    },
  );
});
