import http from 'node:http';
import path from 'node:path';
import { generateKeyPair } from '@cloud-connect/agent-core/wireguard';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabRelay, TSX_NODE_ARGS } from './harness/labRelay.js';
import { NetLab, requireNetlab, type LabProcess } from './harness/netlab.js';
import { REPO_ROOT } from './harness/relayProcess.js';

/**
 * The edge must not be a way into the operator's own network. Relays run with WG_MODE=off in
 * namespaces this test makes:
 * - "cloud" routes its TUNNEL_CIDR (10.123.0.0/16) via "lan", a host on its Ethernet (the lab
 *   bridge) where a listener owns every 10.123.x.y address and counts connections. Today the
 *   edge dials it and serves the LAN's app; now it answers 502 and the listener sees nothing.
 * - "loop" uses a 127.x TUNNEL_CIDR (loopback), as tests and single-host setups do: served.
 * - "wgh" runs a real wireguard-go: the guard, asked inside that namespace, accepts a route
 *   into it and refuses one into a plain tun device.
 * No packet goes anywhere but these namespaces: "cloud" has no default route.
 */

const available = requireNetlab();

/** Answers `hello from <WHO>` and prints `conn` for every TCP connection it accepts. */
const COUNTING_APP = `const s = require('node:http').createServer((q, r) => r.end('hello from ' + process.env.WHO));
s.on('connection', () => console.log('conn'));
s.listen(8080, '0.0.0.0', () => console.log('listening'));`;

const LAN_CIDR = '10.123.0.0/16';

describe.skipIf(!available.ok)('edge route guard in namespaces (WG_MODE=off)', () => {
  let lab: NetLab;
  let lanApp: LabProcess;
  let loopApp: LabProcess;
  let cloudRelay: LabRelay;
  let loopRelay: LabRelay;

  const relayEnv = (cidr: string) => ({
    WG_MODE: 'off',
    TUNNEL_CIDR: cidr,
    EDGE_MODE: 'builtin',
    EDGE_HOST: '0.0.0.0',
    EDGE_PORT: '80',
    EDGE_CONNECT_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'info',
  });

  beforeAll(async () => {
    lab = await NetLab.create({ tag: 'hR', hosts: ['cloud', 'lan', 'loop', 'wgh'] });
    // The operator's LAN: every 10.123.x.y is an address of "lan", which "cloud" reaches via eth0.
    await lab.exec('lan', 'ip', ['addr', 'add', '10.123.0.1/16', 'dev', 'lo']);
    await lab.exec('cloud', 'ip', ['route', 'add', LAN_CIDR, 'via', lab.ip('lan'), 'dev', 'eth0']);
    lanApp = lab.spawn('lan', process.execPath, ['-e', COUNTING_APP], { env: { WHO: 'lan' } });
    loopApp = lab.spawn('loop', process.execPath, ['-e', COUNTING_APP], { env: { WHO: 'loop' } });
    await Promise.all([lanApp, loopApp].map((a) => a.waitForLine((l) => l === 'listening')));
    // The route really leads to the LAN app: from "cloud", curl reaches it.
    const direct = await lab.exec('cloud', 'curl', ['-sS', '-m', '5', 'http://10.123.0.9:8080/']);
    expect(direct.stdout).toBe('hello from lan');
    [cloudRelay, loopRelay] = await Promise.all([
      LabRelay.start(lab, 'cloud', { env: relayEnv(LAN_CIDR) }),
      LabRelay.start(lab, 'loop', { env: relayEnv('127.123.0.0/16') }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([cloudRelay?.close(), loopRelay?.close()]);
    await lab?.close();
  });

  /** An instance whose agent registered target port 8080 and sent a heartbeat. */
  async function onlineInstance(relay: LabRelay, subdomain: string) {
    const i = await relay.userWithInstance(subdomain);
    relay.ledger.add(i.instanceToken);
    const reg = await relay.api.post(
      '/tunnel/register',
      { public_key: generateKeyPair().publicKey, target_port: 8080 },
      { token: i.instanceToken },
    );
    expect(reg.status).toBe(200);
    const beat = await relay.api.post('/tunnel/heartbeat', {}, { token: i.instanceToken });
    expect(beat.status).toBe(200);
    return i;
  }

  /** GET / through a relay's edge (port 80 of its host) with this Host. */
  function viaEdge(relay: LabRelay, host: string) {
    return new Promise<{ status: number; text: string }>((resolve, reject) => {
      http
        .get(
          { host: relay.lab.ip(relay.host), port: 80, path: '/', headers: { host }, agent: false },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          },
        )
        .on('error', reject);
    });
  }

  const warnings = (relay: LabRelay) =>
    relay
      .output()
      .split('\n')
      .filter((l) => l.includes('is not a WireGuard interface or loopback'));

  it('answers 502 for an instance whose tunnel IP the host routes out of a LAN interface, and never dials it', async () => {
    const a = await onlineInstance(cloudRelay, 'lanone');
    const b = await onlineInstance(cloudRelay, 'lantwo');
    expect(a.tunnelIp).toMatch(/^10\.123\./);
    // Asked repeatedly for a while: the edge must never have let one through (today it
    // serves "hello from lan" as soon as the heartbeat is applied).
    for (let round = 0; round < 10; round++) {
      for (const host of ['lanone.cloud.test', 'lantwo.cloud.test']) {
        const r = await viaEdge(cloudRelay, host);
        expect(r.status, r.text).toBe(502);
        expect(r.text).not.toContain('hello from lan');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(b.tunnelIp).not.toBe(a.tunnelIp);
    expect(lanApp.lines.filter((l) => l === 'conn')).toHaveLength(1); // the setup's own curl
  });

  it('warns once at start-up, naming the route and what to do', () => {
    const lines = warnings(cloudRelay);
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0] as string) as { level: string; route: string; msg: string };
    expect(record.level).toBe('warn');
    expect(record.route).toBe(`${LAN_CIDR} → dev eth0 via ${lab.ip('lan')}`);
    expect(record.msg).toMatch(/502.*ip route add <TUNNEL_CIDR> dev wg0.*WG_MODE=wireguard-go/);
  });

  it('serves an instance whose tunnel IP is on loopback (127.x TUNNEL_CIDR), without a warning', async () => {
    await onlineInstance(loopRelay, 'loopone');
    let r = { status: 0, text: '' };
    for (let i = 0; i < 50 && r.status !== 200; i++) {
      r = await viaEdge(loopRelay, 'loopone.cloud.test');
      if (r.status !== 200) await new Promise((res) => setTimeout(res, 100));
    }
    expect(r).toEqual({ status: 200, text: 'hello from loop' });
    expect(warnings(loopRelay)).toHaveLength(0);
  });

  it('accepts a route into a wireguard-go interface and refuses one into a plain tun device', async () => {
    const wgIf = lab.ifName('g');
    const tunIf = lab.ifName('t');
    const wgGo = lab.spawn('wgh', 'wireguard-go', ['-f', wgIf], { label: 'wgh:wireguard-go' });
    try {
      // wireguard-go's UAPI socket appears once the interface is up and ready.
      for (let i = 0; i < 100; i++) {
        const r = await lab.exec('wgh', 'wg', ['show', 'interfaces'], { reject: false });
        if (r.stdout.split(/\s+/).includes(wgIf)) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      for (const args of [
        ['link', 'set', wgIf, 'up'],
        ['route', 'add', '10.124.0.0/16', 'dev', wgIf],
        ['tuntap', 'add', 'mode', 'tun', 'name', tunIf],
        ['link', 'set', tunIf, 'up'],
        ['route', 'add', '10.125.0.0/16', 'dev', tunIf],
      ])
        await lab.exec('wgh', 'ip', args);
      const script = `import { kernelRouteGuard } from ${JSON.stringify(path.join(REPO_ROOT, 'relay-server/src/edge/tunnelRouteGuard.ts'))};
const v = await kernelRouteGuard().check(['10.124.0.2', '10.125.0.2']);
console.log(JSON.stringify(Object.fromEntries(v)));`;
      const out = await lab.exec(
        'wgh',
        process.execPath,
        [...TSX_NODE_ARGS, '--input-type=module', '-e', script],
        { cwd: REPO_ROOT },
      );
      const verdicts = JSON.parse(out.stdout.trim().split('\n').pop() as string) as Record<
        string,
        { safe: boolean; kind?: string; route?: string }
      >;
      expect(verdicts['10.124.0.2']).toMatchObject({ safe: true, kind: 'wireguard', dev: wgIf });
      expect(verdicts['10.125.0.2']).toMatchObject({ safe: false, route: `dev ${tunIf}` });
    } finally {
      await wgGo.stop();
    }
  });
});
