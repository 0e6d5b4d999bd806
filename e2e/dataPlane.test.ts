import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateKeyPair } from '@cloud-connect/agent-core/wireguard';
import {
  startDnsServer,
  startStripeStandIn,
  type StripeStandIn,
  type TestDnsServer,
  until,
} from '@cloud-connect/relay-server/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { EdgeClient } from './harness/edgeClient.js';
import { LabRelay, wireguardGoEnv } from './harness/labRelay.js';
import {
  startTestApp,
  startWireGuardAgent,
  upgradeEcho,
  waitForStatus,
  wgPeerFields,
} from './harness/labTunnel.js';
import { peakRss, rss } from './harness/memory.js';
import { NetLab, requireNetlab, type LabProcess } from './harness/netlab.js';
import { teardownAfterAll } from './harness/suiteTeardown.js';

/**
 * Issue 5's data plane end to end, in network namespaces: "cloud" runs relay-server with a
 * wireguard-go server and the built-in edge on port 80; "home-a" and "home-b" run an agent
 * (the WireGuard driver under the supervisor) in front of a test app each; "internet" is the
 * client. Every request below goes internet → edge → WireGuard → agent's forwarder → app.
 */

const available = requireNetlab();

const MB = 1024 * 1024;
const BASE = 'cloud.test';

describe.skipIf(!available.ok)('data plane in namespaces: edge + WireGuard + agents', () => {
  const opened = teardownAfterAll();
  let lab: NetLab;
  let relay: LabRelay;
  let dns: TestDnsServer;
  let stripe: StripeStandIn;
  let serverIf: string;
  let cloud: string;
  let tmp: string;
  let edge: EdgeClient;
  const agents = new Map<string, LabProcess>();
  const keys = { 'home-a': generateKeyPair(), 'home-b': generateKeyPair() };
  let a: Awaited<ReturnType<LabRelay['userWithInstance']>>;
  let b: Awaited<ReturnType<LabRelay['userWithInstance']>>;
  const hostA = `home-a.${BASE}`;
  const hostB = `home-b.${BASE}`;

  const startAgent = (home: 'home-a' | 'home-b', instanceToken: string) => {
    const agent = startWireGuardAgent(lab, home, {
      CC_RELAY_URL: relay.url,
      CC_INSTANCE_TOKEN: instanceToken,
      CC_WG_PRIVATE_KEY: keys[home].privateKey,
      CC_TARGET: 'http://localhost:8080',
      CC_WG_INTERFACE_PREFIX: `${lab.prefix}${home.slice(-1)}`,
      CC_HEARTBEAT_CAP_MS: '2000',
      CC_PROBE_INTERVAL_MS: '1000',
      CC_HEALTH_CHECK_MS: '3000',
      CC_READY_GRACE_MS: '20000',
      CC_BACKOFF_CAP_MS: '4000',
    });
    agents.set(home, agent);
    return agent;
  };

  const connected = (agent: LabProcess) =>
    waitForStatus(agent, (s) => s.status === 'connected', 60_000);

  const serverPeers = () => wgPeerFields(lab, 'cloud', serverIf);

  beforeAll(async () => {
    lab = opened.add(
      await NetLab.create({ tag: 'hI', hosts: ['cloud', 'home-a', 'home-b', 'internet'] }),
    );
    cloud = lab.ip('cloud');
    edge = new EdgeClient(lab, 'internet', cloud);
    tmp = await opened.tempDir('cc-dataplane-');
    // The test's own servers listen on the bridge, where the cloud namespace reaches them.
    dns = opened.add(await startDnsServer({ host: lab.rootIp }));
    stripe = opened.add(await startStripeStandIn({ host: lab.rootIp }));
    relay = await LabRelay.start(lab, 'cloud', {
      env: {
        ...wireguardGoEnv(lab, 'cloud'),
        TUNNEL_CIDR: '10.100.0.0/16',
        EDGE_MODE: 'builtin',
        EDGE_HOST: '0.0.0.0',
        EDGE_PORT: '80',
        EDGE_CONNECT_TIMEOUT_MS: '2000',
        DNS_SERVERS: dns.address,
        LOG_LEVEL: 'info',
        ...stripe.env,
      },
    });
    opened.add(relay);
    serverIf = relay.wgInterface;
    for (const home of ['home-a', 'home-b'] as const) await startTestApp(lab, home, home);
    a = await relay.userWithInstance('home-a');
    b = await relay.userWithInstance('home-b');
    relay.ledger.add(a.instanceToken);
    relay.ledger.add(b.instanceToken);
    const agentA = startAgent('home-a', a.instanceToken);
    const agentB = startAgent('home-b', b.instanceToken);
    await Promise.all([connected(agentA), connected(agentB)]);
  }, 180_000);

  it('routes home-a.<base> to home-a’s app and home-b.<base> to home-b’s, through WireGuard', async () => {
    const before = new Map((await serverPeers()).map((p) => [p[0], Number(p[5])]));
    const ra = await edge.answers(hostA, 200);
    expect(ra.body).toBe('hello from home-a');
    const rb = await edge.get(hostB);
    expect(rb.status).toBe(200);
    expect(rb.body).toBe('hello from home-b');
    // Both answers came in over the WireGuard interface (received bytes from each peer grew).
    const after = new Map((await serverPeers()).map((p) => [p[0], Number(p[5])]));
    for (const k of [keys['home-a'].publicKey, keys['home-b'].publicKey]) {
      expect(after.get(k)!).toBeGreaterThan(before.get(k) ?? 0);
    }
    const unknown = await edge.get(`nobody.${BASE}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain('No app is connected at nobody.cloud.test');
  });

  it('carries a WebSocket echo from the internet through the edge and the tunnel', async () => {
    const echo = await upgradeEcho(lab, 'internet', {
      ip: cloud,
      port: 80,
      host: hostA,
      message: 'ping through the edge',
      timeoutMs: 8000,
    });
    expect(echo).toBe('HTTP/1.1 101 Switching Protocols / echo:ping through the edge');
  });

  it('streams a 100 MB download and a 100 MB upload without the relay’s memory growing by 80 MB', async () => {
    const pid = relay.proc!.pid!;
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('relay-server/src/server.ts');
    // Warm up (JIT, pools), then take the baseline.
    await edge.get(hostA, `/bytes/${10 * MB}`, ['-o', '/dev/null']);
    const baseline = rss(pid);

    const down = await peakRss([pid], () =>
      edge.curl(
        hostA,
        `/bytes/${100 * MB}`,
        ['-o', '/dev/null', '-w', '%{http_code} %{size_download} %{speed_download}'],
        { seconds: 120 },
      ),
    );
    const [downCode, downSize, downSpeed] = down.result.stdout.split(' ');
    expect(downCode).toBe('200');
    expect(Number(downSize)).toBe(100 * MB);

    const file = path.join(tmp, 'upload.bin');
    await writeFile(file, Buffer.alloc(100 * MB, 0x5a));
    const up = await peakRss([pid], () =>
      edge.curl(
        hostA,
        '/count',
        ['-H', 'Expect:', '-X', 'POST', '-T', file, '-w', '\n%{http_code} %{speed_upload}'],
        { seconds: 120 },
      ),
    );
    const [count, upStatus] = up.result.stdout.split('\n');
    expect(upStatus?.split(' ')[0]).toBe('200');
    expect(Number(count)).toBe(100 * MB);

    const grewDown = (down.peaks[0]! - baseline) / MB;
    const grewUp = (up.peaks[0]! - baseline) / MB;
    console.log(
      `100 MB through edge+WireGuard: download ${(Number(downSpeed) / MB).toFixed(1)} MB/s, upload ${(Number(upStatus?.split(' ')[1]) / MB).toFixed(1)} MB/s; relay RSS baseline ${(baseline / MB).toFixed(0)} MB, growth ${grewDown.toFixed(1)} MB (down) / ${grewUp.toFixed(1)} MB (up)`,
    );
    // A relay that held a 100 MB body would grow by 100 MB or more. What grows without holding
    // anything is garbage V8 has not collected yet: dead 64 KB socket read buffers, which Node 24
    // lets pile up to about its external-memory soft limit (64 MB) before a collection (a plain
    // client→app download of 256 MB, no edge in the path, grows 105 MB on Node 24 and 46 MB on
    // Node 20; the edge's own live buffers stay at 15–17 MB, see builtinEdge.test.ts). RSS cannot
    // tell the two apart from outside the process, so the bound sits between them.
    expect(grewDown).toBeLessThan(80);
    expect(grewUp).toBeLessThan(80);
  }, 300_000);

  it('keeps home-a from reaching home-b’s tunnel IP', async () => {
    const r = await lab.exec(
      'home-a',
      'curl',
      ['-sS', '-m', '3', `http://${b.tunnelIp}:8080/hello`],
      {
        reject: false,
      },
    );
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout).not.toContain('hello from home-b');
    // The cloud itself reaches it (so the failure above is isolation, not a dead tunnel).
    const ok = await lab.exec('cloud', 'curl', [
      '-sS',
      '-m',
      '3',
      `http://${b.tunnelIp}:8080/hello`,
    ]);
    expect(ok.stdout).toBe('hello from home-b');
  });

  it('routes share.example.test to home-a after verify, and stops within a second of deleting it', async () => {
    // Custom domains need a paid plan: subscribe through the Stripe stand-in.
    const auth = { token: a.accessToken };
    const checkout = await relay.api.post('/billing/checkout', { plan: 'pro' }, auth);
    expect(checkout.status).toBe(200);
    for (const event of stripe.completeCheckout(checkout.body.session_id).events) {
      expect((await stripe.deliver(relay.url, event)).status).toBe(200);
    }
    const domain = 'share.example.test';
    expect(
      (await relay.api.post(`/instances/${a.instanceId}/domains`, { domain }, auth)).status,
    ).toBe(201);
    expect((await edge.get(domain)).status).toBe(404);
    dns.set(domain, 'CNAME', `${a.instanceId}.tunnel.${BASE}`);
    const v = await relay.api.post(
      `/instances/${a.instanceId}/domains/${domain}/verify`,
      undefined,
      auth,
    );
    expect(v.body.status).toBe('verified');
    const routed = await edge.answers(domain, 200, 2000, 50);
    expect(routed.body).toBe('hello from home-a');

    expect(
      (await relay.api.delete(`/instances/${a.instanceId}/domains/${domain}`, auth)).status,
    ).toBe(204);
    const start = Date.now();
    await edge.answers(domain, 404, 1000, 20);
    expect(Date.now() - start).toBeLessThan(1000);
    expect((await edge.get(hostA)).body).toBe('hello from home-a');
  });

  it('shows the 502 offline page when the agent stops, and routes again when it is back, without a relay restart', async () => {
    const relayPid = relay.proc!.pid;
    await agents.get('home-a')!.stop();
    const offline = await edge.answers(hostA, 502, 10_000);
    expect(offline.body).toContain(`The app at ${hostA} is offline`);
    expect(offline.body).not.toMatch(/Error|at .*\.ts/);
    const agent = startAgent('home-a', a.instanceToken);
    await connected(agent);
    const back = await edge.answers(hostA, 200, 30_000);
    expect(back.body).toBe('hello from home-a');
    expect(relay.proc!.pid).toBe(relayPid);
  }, 120_000);

  it('reconciles the WireGuard interface after a relay-server restart, and traffic flows through the edge', async () => {
    await relay.restart();
    const peers = await until('both peers back on the interface', async () => {
      const p = await serverPeers();
      return p.length === 2 && p;
    });
    const byKey = new Map(peers.map((p) => [p[0], p[3]]));
    expect(byKey.get(keys['home-a'].publicKey)).toBe(`${a.tunnelIp}/32`);
    expect(byKey.get(keys['home-b'].publicKey)).toBe(`${b.tunnelIp}/32`);
    const route = await lab.exec('cloud', 'ip', ['-4', 'route', 'show', 'dev', serverIf]);
    expect(route.stdout).toContain('10.100.0.0/16');
    for (const [host, name] of [
      [hostA, 'home-a'],
      [hostB, 'home-b'],
    ] as const) {
      const r = await edge.answers(host, 200, 40_000, 500);
      expect(r.body).toBe(`hello from ${name}`);
    }
  }, 120_000);

  it('stops routing an instance’s subdomain and domains within a second of deleting the instance', async () => {
    const login = await relay.api.post('/auth/login', { email: b.email, password: b.password });
    const auth = { token: login.body.access_token as string };
    expect((await edge.get(hostB)).status).toBe(200);
    expect((await relay.api.delete(`/instances/${b.instanceId}`, auth)).status).toBe(204);
    const start = Date.now();
    await edge.answers(hostB, 404, 1000, 20);
    expect(Date.now() - start).toBeLessThan(1000);
    // The peer went with it.
    expect((await serverPeers()).some((p) => p[0] === keys['home-b'].publicKey)).toBe(false);
    expect((await edge.get(hostA)).status).toBe(200);
  });

  it('leaves no secret in logs and no process, interface or namespace behind', async () => {
    for (const agent of agents.values()) await agent.stop();
    await relay.stop();
    const logs = [relay.output(), ...[...agents.values()].map((p) => p.output())].join('\n');
    expect(relay.ledger.leakedIn(logs)).toEqual([]);
    for (const k of Object.values(keys)) expect(logs.includes(k.privateKey)).toBe(false);
    const { prefix } = lab;
    await lab.close();
    const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    const links = spawnSync('ip', ['-br', 'link'], { encoding: 'utf8' }).stdout;
    expect(netns).not.toContain(prefix);
    expect(links).not.toContain(prefix);
    expect(readdirSync('/var/run/wireguard').filter((f) => f.startsWith(prefix))).toEqual([]);
    const wg = spawnSync('pgrep', ['-af', `wireguard-go.*${prefix}`], { encoding: 'utf8' }).stdout;
    expect(wg.trim()).toBe('');
  });
});
