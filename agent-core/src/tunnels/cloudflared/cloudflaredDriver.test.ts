import { afterEach, describe, expect, it } from 'vitest';
import {
  childProcessesOf,
  createStandInFixture,
  isProcessAlive,
  makeTunnelToken,
  processArgv,
  processEnvironment,
  standInSignals,
  waitForEvent,
  type StandInFixture,
} from '../../testing/index.js';
import type { DriverLogLine, DriverProbe } from '../driver.js';
import type { TunnelError } from '../tunnelError.js';
import { CloudflaredDriver } from './cloudflaredDriver.js';
import { CLOUDFLARED_INSTALL_URL } from './processErrors.js';
import { secretsOfToken } from './redaction.js';

let fixture: StandInFixture | null = null;
afterEach(async () => {
  await fixture?.cleanup();
  fixture = null;
});

/** Everything a driver emitted, for assertions on leaks and order. */
function record(driver: CloudflaredDriver) {
  const seen = {
    probes: [] as DriverProbe[],
    logs: [] as DriverLogLine[],
    exits: [] as TunnelError[],
  };
  driver.events.on('probe', (p) => seen.probes.push(p));
  driver.events.on('log', (l) => seen.logs.push(l));
  driver.events.on('exit', (e) => seen.exits.push(e));
  return seen;
}

function expectNoSecret(token: string, texts: string[]): void {
  for (const secret of secretsOfToken(token)) {
    for (const text of texts) expect(text).not.toContain(secret);
  }
}

const connected = (p: DriverProbe) => p.connected;

describe('CloudflaredDriver against the stand-in', () => {
  it('connects, reports the hostname from the configuration line and four connections', async () => {
    fixture = await createStandInFixture({ hostnames: ['shop.example.org'] });
    const driver = fixture.driver();
    const firstReady = waitForEvent(driver.events, 'probe', connected);
    // The first connection makes the tunnel ready; the other three follow a few ms later, each
    // registration line making the driver ask /ready again.
    const allReady = waitForEvent(driver.events, 'probe', (p) => p.details?.readyConnections === 4);
    await driver.start();
    const [probe] = await firstReady;
    expect(probe.running).toBe(true);
    expect(probe.error).toBeNull();
    await allReady;
    const status = await driver.status();
    expect(status).toMatchObject({
      running: true,
      connected: true,
      hostnames: ['shop.example.org'],
    });
    expect(status.details).toMatchObject({ readyConnections: 4, connections: 4 });
  });

  it('passes the token only in TUNNEL_TOKEN: never in argv, logs or errors', async () => {
    fixture = await createStandInFixture({ reject: 'Unauthorized: Invalid tunnel secret' });
    const token = makeTunnelToken();
    const driver = fixture.driver({ token });
    const seen = record(driver);
    await driver.start();
    await waitForEvent(driver.events, 'probe', (p) => p.error !== null);
    const pid = driver.pid;
    expect(pid).not.toBeNull();
    const argv = await processArgv(pid ?? 0);
    expect(argv.slice(-5)).toEqual([
      'tunnel',
      '--no-autoupdate',
      '--metrics',
      driver.metricsAddress,
      'run',
    ]);
    expectNoSecret(token, [argv.join(' ')]);
    expect((await processEnvironment(pid ?? 0)).TUNNEL_TOKEN).toBe(token);
    await driver.stop();
    expectNoSecret(token, [
      ...seen.logs.map((l) => l.message),
      ...seen.probes.map((p) => JSON.stringify({ ...p, error: p.error?.toJSON() })),
      ...seen.probes.map((p) => p.error?.message ?? ''),
    ]);
  });

  it('reports a malformed token with cloudflared’s exact message as a permanent INVALID_TOKEN', async () => {
    fixture = await createStandInFixture();
    const token = `not-a-token-${'7'.repeat(40)}`;
    const driver = fixture.driver({ token });
    const seen = record(driver);
    await driver.start();
    const [error] = await waitForEvent(driver.events, 'exit');
    expect(error.code).toBe('INVALID_TOKEN');
    expect(error.message).toBe('Provided Tunnel token is not valid.');
    expect(error.retryable).toBe(false);
    expect(error.details).toMatchObject({ exitCode: 255 });
    expect(seen.logs.map((l) => l.message)).toContain('Provided Tunnel token is not valid.');
    expect(driver.pid).toBeNull();
    expectNoSecret(token, [...seen.logs.map((l) => l.message), JSON.stringify(error.toJSON())]);
  });

  it('turns an edge refusal into TOKEN_REJECTED with the edge’s reason while cloudflared keeps retrying', async () => {
    fixture = await createStandInFixture({
      reject: 'Unauthorized: Failed to get tunnel',
      retryBaseMs: 50,
    });
    const driver = fixture.driver();
    await driver.start();
    const [probe] = await waitForEvent(driver.events, 'probe', (p) => p.error !== null);
    expect(probe.connected).toBe(false);
    expect(probe.running).toBe(true);
    expect(probe.error?.code).toBe('TOKEN_REJECTED');
    expect(probe.error?.retryable).toBe(true);
    expect(probe.error?.message).toContain('Unauthorized: Failed to get tunnel');
    expect(probe.error?.details).toEqual({ reason: 'Unauthorized: Failed to get tunnel' });
    const status = await driver.status();
    expect(status).toMatchObject({ running: true, connected: false });
  });

  it('reports lost connections and their return as probe events', async () => {
    fixture = await createStandInFixture({ retryBaseMs: 50, retries: 20 });
    const driver = fixture.driver();
    await driver.start();
    await waitForEvent(driver.events, 'probe', connected);
    const lost = waitForEvent(driver.events, 'probe', (p) => !p.connected);
    process.kill(driver.pid ?? 0, standInSignals.dropConnections);
    const [down] = await lost;
    expect(down.running).toBe(true);
    expect(down.details?.connections).toBe(0);
    expect((await driver.status()).connected).toBe(false);
    const back = waitForEvent(driver.events, 'probe', connected);
    process.kill(driver.pid ?? 0, standInSignals.restoreConnections);
    const [up] = await back;
    expect(up.error).toBeNull();
  });

  it('picks up a new hostname pushed as a new configuration', async () => {
    fixture = await createStandInFixture({ hostnames: ['one.example.com'] });
    const driver = fixture.driver();
    await driver.start();
    await waitForEvent(driver.events, 'probe', (p) => p.connected && p.hostnames.length > 0);
    await fixture.setScenario({ hostnames: ['two.example.com', 'three.example.com'] });
    const changed = waitForEvent(
      driver.events,
      'probe',
      (p) => p.hostnames[0] === 'two.example.com',
    );
    process.kill(driver.pid ?? 0, standInSignals.reloadScenario);
    const [probe] = await changed;
    expect(probe.hostnames).toEqual(['two.example.com', 'three.example.com']);
  });

  it('reports a crash as an exit event within a second', async () => {
    fixture = await createStandInFixture();
    const driver = fixture.driver();
    await driver.start();
    await waitForEvent(driver.events, 'probe', connected);
    const exited = waitForEvent(driver.events, 'exit');
    const killedAt = performance.now();
    process.kill(driver.pid ?? 0, 'SIGKILL');
    const [error] = await exited;
    expect(performance.now() - killedAt).toBeLessThan(1_000);
    expect(error.code).toBe('PROCESS_EXITED');
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('cloudflared was stopped by SIGKILL');
    expect(await driver.status()).toMatchObject({ running: false, connected: false });
  });

  it('reports an exit with its code and cloudflared’s last error line', async () => {
    fixture = await createStandInFixture({ startDropped: true, retryBaseMs: 5, retries: 1 });
    const driver = fixture.driver();
    await driver.start();
    const [error] = await waitForEvent(driver.events, 'exit');
    expect(error.code).toBe('PROCESS_EXITED');
    expect(error.message).toBe(
      'cloudflared exited with code 0: no more connections active and exiting',
    );
  });

  it('stops with SIGTERM and leaves no process behind', async () => {
    fixture = await createStandInFixture();
    const driver = fixture.driver();
    const seen = record(driver);
    await driver.start();
    await waitForEvent(driver.events, 'probe', connected);
    const pid = driver.pid ?? 0;
    await driver.stop();
    expect(await isProcessAlive(pid)).toBe(false);
    expect(driver.pid).toBeNull();
    const leftovers = (await childProcessesOf(process.pid)).filter((p) =>
      p.argv.some((a) => a.includes('cloudflared')),
    );
    expect(leftovers).toEqual([]);
    expect(seen.exits).toEqual([]);
    expect(seen.logs.map((l) => l.message)).toContain(
      'Unregistered tunnel connection connIndex=0 event=0 ip=198.41.192.7',
    );
    await driver.stop(); // idempotent
  });

  it('kills a cloudflared that does not finish its graceful shutdown in time', async () => {
    fixture = await createStandInFixture({ ignoreSigterm: true });
    const driver = fixture.driver({ stopGraceMs: 300 });
    const seen = record(driver);
    await driver.start();
    await waitForEvent(driver.events, 'probe', connected);
    const pid = driver.pid ?? 0;
    const before = performance.now();
    await driver.stop();
    expect(performance.now() - before).toBeGreaterThanOrEqual(290);
    expect(await isProcessAlive(pid)).toBe(false);
    expect(seen.logs.some((l) => l.message.includes('did not stop within 300 ms'))).toBe(true);
    expect(seen.exits).toEqual([]);
  });

  it('can be started again after it stopped', async () => {
    fixture = await createStandInFixture();
    const driver = fixture.driver();
    await driver.start();
    await waitForEvent(driver.events, 'probe', connected);
    const firstPid = driver.pid;
    await driver.stop();
    await driver.start();
    await waitForEvent(driver.events, 'probe', connected);
    expect(driver.pid).not.toBe(firstPid);
  });

  it('rejects start with BINARY_MISSING and an install hint when cloudflared is absent', async () => {
    const driver = new CloudflaredDriver({
      token: makeTunnelToken(),
      binaryPath: '/nonexistent/cloudflared',
    });
    const failure = await driver.start().then(
      () => null,
      (e: unknown) => e as TunnelError,
    );
    expect(failure?.code).toBe('BINARY_MISSING');
    expect(failure?.retryable).toBe(false);
    expect(failure?.message).toContain(CLOUDFLARED_INSTALL_URL);
    expect((await driver.status()).running).toBe(false);
  });
});
