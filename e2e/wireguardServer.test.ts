import { existsSync } from 'node:fs';
import path from 'node:path';
import { generateKeyPair } from '@cloud-connect/agent-core/wireguard';
import { beforeAll, describe, expect, it } from 'vitest';
import { LabRelay, TSX_NODE_ARGS, wireguardGoEnv } from './harness/labRelay.js';
import { wgPeerFields } from './harness/labTunnel.js';
import { NetLab, requireNetlab } from './harness/netlab.js';
import { teardownAfterAll } from './harness/suiteTeardown.js';
import { REPO_ROOT } from './harness/relayProcess.js';
import { sleep } from '@cloud-connect/relay-server/testing';

/**
 * The relay's WireGuard server run for real (wireguard-go in a namespace), driven through the
 * Cloud API: peers follow the store, a crashed wireguard-go comes back with its peers, clear
 * errors when it cannot run, and nothing left behind on stop.
 */

const available = requireNetlab();

describe.skipIf(!available.ok)('relay-server WireGuard server (wireguard-go)', () => {
  const opened = teardownAfterAll();
  let lab: NetLab;
  let relay: LabRelay;
  const wgIf = () => relay.wgInterface;

  /** Public key → allowed-ips of the relay interface's peers. */
  const peers = async () =>
    new Map((await wgPeerFields(lab, 'cloud', wgIf())).map((f) => [f[0], f[3]]));

  const wireguardGoPids = (host: string) =>
    lab
      .processesIn(host)
      .filter((p) => p.name === 'wireguard-go')
      .map((p) => p.pid);

  const runRelayExpectingExit = async (env: Record<string, string>) => {
    const proc = lab.spawn(
      'cloud',
      process.execPath,
      [...TSX_NODE_ARGS, path.join(REPO_ROOT, 'relay-server/src/server.ts')],
      {
        cwd: REPO_ROOT,
        env: {
          RELAY_HOST: '0.0.0.0',
          RELAY_PORT: '0',
          RELAY_DATA_DIR: path.join(relay.dataDir, 'other'),
          LOG_LEVEL: 'warn',
          ...env,
        },
      },
    );
    const exit = await Promise.race([proc.exited, sleep(60_000).then(() => null)]);
    if (!exit) await proc.stop();
    return { exit, output: proc.output() };
  };

  beforeAll(async () => {
    lab = opened.add(await NetLab.create({ tag: 'hG', hosts: ['cloud'] }));
    relay = opened.add(await LabRelay.start(lab, 'cloud', { env: wireguardGoEnv(lab, 'cloud') }));
  }, 120_000);

  it('follows the store: register adds the peer, a new key replaces it, delete removes it at once', async () => {
    const u = await relay.userWithInstance(`srv-${lab.prefix.toLowerCase()}`);
    const auth = { token: u.instanceToken };
    const k1 = generateKeyPair().publicKey;
    const k2 = generateKeyPair().publicKey;
    expect((await relay.api.post('/tunnel/register', { public_key: k1 }, auth)).status).toBe(200);
    expect((await peers()).get(k1)).toBe(`${u.tunnelIp}/32`);
    expect((await relay.api.post('/tunnel/register', { public_key: k2 }, auth)).status).toBe(200);
    const after = await peers();
    expect(after.has(k1)).toBe(false);
    expect(after.get(k2)).toBe(`${u.tunnelIp}/32`);
    const del = await relay.api.delete(`/instances/${u.instanceId}`, { token: u.accessToken });
    expect(del.status).toBeLessThan(300);
    expect((await peers()).has(k2)).toBe(false);
  });

  it('brings a killed wireguard-go back with the same port and peers', async () => {
    const u = await relay.userWithInstance(`crash-${lab.prefix.toLowerCase()}`);
    const key = generateKeyPair().publicKey;
    await relay.api.post('/tunnel/register', { public_key: key }, { token: u.instanceToken });
    const [pid] = wireguardGoPids('cloud');
    expect(pid).toBeGreaterThan(0);
    process.kill(pid as number, 'SIGKILL');
    const deadline = Date.now() + 20_000;
    let health = await relay.api.get('/health');
    while (Date.now() < deadline) {
      const pids = wireguardGoPids('cloud');
      health = await relay.api.get('/health');
      if (pids.length === 1 && pids[0] !== pid && health.body.checks.wireguard.ok) break;
      await sleep(250);
    }
    expect(health.body.checks.wireguard).toMatchObject({ ok: true });
    expect((await peers()).get(key)).toBe(`${u.tunnelIp}/32`);
    const port = await lab.exec('cloud', 'wg', ['show', wgIf(), 'listen-port']);
    expect(port.stdout.trim()).toBe('51820');
    expect(relay.output()).toMatch(/wireguard-go exited/);
  });

  it('refuses to take over an interface name another process runs', async () => {
    const pidsBefore = wireguardGoPids('cloud');
    const { exit, output } = await runRelayExpectingExit({
      WG_MODE: 'wireguard-go',
      WG_INTERFACE: wgIf(),
      WG_LISTEN_PORT: '51821',
    });
    expect(exit?.code).not.toBe(0);
    expect(output).toMatch(new RegExp(`a WireGuard interface named ${wgIf()} already runs`));
    // The running relay's interface is untouched.
    expect(wireguardGoPids('cloud')).toEqual(pidsBefore);
    expect((await relay.api.get('/health')).body.checks.wireguard.ok).toBe(true);
  });

  it('says to load the module or use wireguard-go when WG_MODE=kernel has no kernel support', async () => {
    const { exit, output } = await runRelayExpectingExit({
      WG_MODE: 'kernel',
      WG_INTERFACE: lab.ifName('k'),
    });
    expect(exit?.code).not.toBe(0);
    expect(output).toMatch(/modprobe wireguard.*WG_MODE=wireguard-go/);
  });

  it('removes the interface, its control socket and the isolation rule on stop', async () => {
    await relay.stop();
    expect(wireguardGoPids('cloud')).toEqual([]);
    expect(existsSync(`/var/run/wireguard/${wgIf()}.sock`)).toBe(false);
    const link = await lab.exec('cloud', 'ip', ['link', 'show', wgIf()], { reject: false });
    expect(link.exitCode).not.toBe(0);
    const rules = await lab.exec('cloud', 'iptables', ['-S', 'FORWARD']);
    expect(rules.stdout).not.toContain(wgIf());
  });
});
