import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { STREAM_PATH, STREAM_PROTOCOL } from '@cloud-connect/agent-core/api';
import { sleep, until } from '@cloud-connect/relay-server/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { startCaddyFront, type CaddyFront } from './harness/caddyFront.js';
import { startConnectProxy } from './harness/connectProxy.js';
import { upgradeEcho } from './harness/labTunnel.js';
import { peakRss, rss } from './harness/memory.js';
import { requireNetlab } from './harness/netlab.js';
import { NOBODY, StreamLab, type LabInstance, type StreamAgent } from './harness/streamLab.js';
import { teardownAfterAll } from './harness/suiteTeardown.js';

/**
 * Issue 11's stream transport end to end, in network namespaces (harness/streamLab.ts): "cloud"
 * runs the relay with its built-in edge (and later Caddy with TLS in front of the relay's API);
 * each home runs a test app and the real `cloud-connect connect --transport stream` as nobody,
 * without any capability: "home-a" and "home-b" straight to the relay, "home-c" through Caddy,
 * "home-p" through an HTTP CONNECT proxy only; "internet" is the visitor. Every request below goes
 * internet → edge → stream session → agent → app.
 */

const available = requireNetlab();

const MB = 1024 * 1024;
/** Size of each warm-up transfer before a memory baseline. */
const WARM_UP = 40 * MB;

/** uid and effective capabilities of a process, from /proc. */
function credentials(pid: number): { uid: number; capEff: bigint } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
  const cap = /^CapEff:\s+([0-9a-f]+)/m.exec(status)?.[1];
  if (uid === undefined || cap === undefined) throw new Error(`no Uid/CapEff for ${pid}`);
  return { uid: Number(uid), capEff: BigInt(`0x${cap}`) };
}

describe.skipIf(!available.ok)('stream transport in namespaces: edge + sessions + agents', () => {
  const opened = teardownAfterAll();
  let s: StreamLab;
  let a: LabInstance;
  let b: LabInstance;
  const agents: Record<string, StreamAgent> = {};

  /** The relay shows `inst` connected on the stream transport. */
  const expectOnStream = async (inst: LabInstance) => {
    const view = await s.relay.api.get(`/instances/${inst.instanceId}`, {
      token: inst.accessToken,
    });
    expect(view.body).toMatchObject({ status: 'connected', transport: 'stream' });
  };

  beforeAll(async () => {
    s = await StreamLab.start(opened, {
      tag: 'st',
      homes: ['home-a', 'home-b', 'home-c', 'home-p'],
    });
    a = await s.instance('home-a');
    b = await s.instance('home-b');
    agents.a = await s.startAgent('home-a', a);
    agents.b = await s.startAgent('home-b', b);
    await Promise.all([agents.a.connected(), agents.b.connected()]);
    await s.edge.answers(a.host, 200);
    await s.edge.answers(b.host, 200);
  }, 120_000);

  it('runs the agents as nobody with no capability, and the relay shows them on the stream transport', async () => {
    for (const agent of Object.values(agents)) {
      expect(credentials(agent.pid)).toEqual({ uid: NOBODY, capEff: 0n });
    }
    await expectOnStream(a);
  });

  it('serves GET and POST, several on one keep-alive connection', async () => {
    const host = `Host: ${a.host}`;
    const url = (p: string) => `http://${s.cloudIp}${p}`;
    const w = ['-w', '|%{http_code} %{num_connects}\n'];
    const r = await s.lab.exec('internet', 'curl', [
      '-sS',
      '-m',
      '10',
      '-H',
      host,
      ...w,
      url('/hello'),
      '--next',
      '-H',
      host,
      ...w,
      '--data-binary',
      'twelve bytes',
      url('/count'),
      '--next',
      '-H',
      host,
      ...w,
      url('/hello'),
    ]);
    expect(r.stdout.trim().split('\n')).toEqual([
      'hello from home-a|200 1',
      '12|200 0',
      'hello from home-a|200 0',
    ]);
  });

  it('carries a WebSocket echo', async () => {
    const echo = await upgradeEcho(s.lab, 'internet', {
      ip: s.cloudIp,
      port: 80,
      host: a.host,
      message: 'ping over the stream',
      timeoutMs: 8000,
    });
    expect(echo).toBe('HTTP/1.1 101 Switching Protocols / echo:ping over the stream');
  });

  /** The relay's and agent A's pids, the processes whose memory the stream transport bounds. */
  const carriers = () => {
    const relayPid = s.relay.proc?.pid;
    if (relayPid === undefined) throw new Error('the relay is not running');
    expect(readFileSync(`/proc/${relayPid}/cmdline`, 'utf8')).toContain(
      'relay-server/src/server.ts',
    );
    return [relayPid, agents.a!.pid];
  };
  const grownMb = (peaks: number[], baseline: number[]) =>
    peaks.map((p, i) => (p - (baseline[i] as number)) / MB);

  it('streams a 100 MB download and a 100 MB upload, the relay’s and the agent’s RSS each growing < 50 MB', async () => {
    const pids = carriers();
    const body = randomBytes(100 * MB);
    const dir = await opened.tempDir('cc-stream-upload-');
    const file = path.join(dir, 'upload.bin');
    const warmFile = path.join(dir, 'warm.bin');
    await writeFile(file, body);
    await writeFile(warmFile, body.subarray(0, WARM_UP));
    const upload = (from: string) =>
      s.edge.curl(
        a.host,
        '/sha256',
        ['-H', 'Expect:', '-X', 'POST', '-T', from, '-w', '\n%{http_code} %{speed_upload}'],
        { seconds: 60 },
      );
    // Warm up both ways (JIT, pools, both sessions, and V8's young generation, which grows to
    // its full size, about 30 MB, only under a high allocation rate such as a fast transfer's
    // dead chunks), then take the baseline. Each warm-up transfer is under 50 MB, so a carrier
    // that held a whole body would still grow by more than 50 MB below.
    for (let i = 0; i < 3; i++) {
      await s.edge.curl(a.host, `/bytes/${WARM_UP}`, ['-o', '/dev/null']);
      await upload(warmFile);
    }
    const baseline = pids.map(rss);

    const down = await peakRss(pids, () =>
      s.edge.curl(
        a.host,
        `/bytes/${100 * MB}`,
        ['-o', '/dev/null', '-w', '%{http_code} %{size_download} %{speed_download}'],
        { seconds: 60 },
      ),
    );
    const [downCode, downSize, downSpeed] = down.result.stdout.split(' ');
    expect(downCode).toBe('200');
    expect(Number(downSize)).toBe(100 * MB);

    const up = await peakRss(pids, () => upload(file));
    const [digest, upStatus] = up.result.stdout.split('\n');
    expect(upStatus?.split(' ')[0]).toBe('200');
    expect(digest).toBe(createHash('sha256').update(body).digest('hex'));

    const [relayDown, agentDown] = grownMb(down.peaks, baseline);
    const [relayUp, agentUp] = grownMb(up.peaks, baseline);
    console.log(
      `100 MB through edge+stream: download ${(Number(downSpeed) / MB).toFixed(1)} MB/s, upload ${(Number(upStatus?.split(' ')[1]) / MB).toFixed(1)} MB/s; RSS growth relay ${relayDown?.toFixed(1)} / ${relayUp?.toFixed(1)} MB, agent ${agentDown?.toFixed(1)} / ${agentUp?.toFixed(1)} MB (down / up)`,
    );
    for (const grew of [relayDown, agentDown, relayUp, agentUp]) expect(grew).toBeLessThan(50);
  }, 120_000);

  it('holds a 50 MB answer the visitor never reads back at the app, bounded, and closes the app’s side when the visitor leaves', async () => {
    const pids = carriers();
    const inflight = async () =>
      JSON.parse((await s.edge.get(a.host, '/inflight')).body) as {
        bytes: number;
        written: number;
      };
    const baseline = pids.map(rss);
    // A visitor that asks and never reads: its socket stays open, its receive buffer fills.
    const script = `
      const s = require('node:net').connect(80, ${JSON.stringify(s.cloudIp)});
      s.write('GET /bytes/${50 * MB} HTTP/1.1\\r\\nHost: ${a.host}\\r\\n\\r\\n', () => console.log('asked'));
      s.pause();
      // A socket that does not read keeps no event loop alive: this does, until SIGTERM.
      setInterval(() => {}, 60_000);`;
    const visitor = s.lab.spawn('internet', process.execPath, ['-e', script], {
      label: 'internet:stalled',
    });
    await visitor.waitForLine((l) => l === 'asked');
    // The app writes until flow control stops it: `written` stops growing, short of 50 MB.
    let last = -1;
    const held = await until(
      'the app held back',
      async () => {
        const now = await inflight();
        const still = now.bytes === 1 && now.written === last;
        last = now.written;
        return still && now;
      },
      20_000,
      500,
    );
    const stalled = await peakRss(pids, async () => {
      // Others are still served meanwhile, on both sessions.
      for (let i = 0; i < 6; i++) expect((await s.edge.get(a.host)).body).toBe('hello from home-a');
      // A measuring window, not a wait for an event: the RSS is sampled while the answer is held.
      await sleep(2000);
    });
    const [relayGrew, agentGrew] = grownMb(stalled.peaks, baseline);
    console.log(
      `stalled 50 MB answer: the app wrote ${(held.written / MB).toFixed(1)} MB; RSS growth relay ${relayGrew?.toFixed(1)} MB, agent ${agentGrew?.toFixed(1)} MB`,
    );
    expect(held.written).toBeLessThan(32 * MB);
    expect(relayGrew).toBeLessThan(50);
    expect(agentGrew).toBeLessThan(50);

    await visitor.stop();
    await until('the app’s answer closed', async () => (await inflight()).bytes === 0, 10_000, 200);
  }, 60_000);

  it('never carries instance B’s host on A’s sessions: B offline is B’s offline page, and a token made to claim B is refused', async () => {
    for (let i = 0; i < 6; i++) {
      expect((await s.edge.get(a.host)).body).toBe('hello from home-a');
      expect((await s.edge.get(b.host)).body).toBe('hello from home-b');
    }
    await agents.b!.stop();
    const offline = await s.edge.answers(b.host, 502, 10_000);
    expect(offline.body).toContain(`The app at ${b.host} is offline`);
    for (let i = 0; i < 6; i++) {
      const r = await s.edge.get(b.host);
      expect(r.status).toBe(502);
      expect(r.body).not.toContain('home-a');
    }
    // A's app never saw B's public host (nor anything but its own).
    const seen = JSON.parse((await s.edge.get(a.host, '/hosts')).body) as Record<string, number>;
    expect(Object.keys(seen)).toEqual([a.host]);

    // A's agent asking for B: A's token with its subject changed to B's instance. The relay
    // checks the signature, not the claim: 401, and B stays offline.
    const [head, payload, signature] = a.instanceToken.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as {
      sub: string;
    };
    expect(claims.sub).toBe(a.instanceId);
    const forged = [
      head,
      Buffer.from(JSON.stringify({ ...claims, sub: b.instanceId })).toString('base64url'),
      signature,
    ].join('.');
    s.relay.ledger.add(forged);
    const upgrade = await s.lab.exec('home-a', 'curl', [
      '-sS',
      '-m',
      '5',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '-H',
      'Connection: Upgrade',
      '-H',
      `Upgrade: ${STREAM_PROTOCOL}`,
      '-H',
      `Authorization: Bearer ${forged}`,
      `${s.relay.url}${STREAM_PATH}`,
    ]);
    expect(upgrade.stdout).toBe('401');
    expect((await s.edge.get(b.host)).status).toBe(502);
    await expectOnStream(a);
  });

  describe('through Debian’s Caddy terminating TLS (internal CA) in front of the relay', () => {
    let caddy: CaddyFront;

    beforeAll(async () => {
      // A lab process: stopped with the lab.
      caddy = await startCaddyFront(s.lab, 'cloud', {
        port: 8443,
        upstream: `127.0.0.1:${s.relay.port}`,
        dir: await opened.tempDir('cc-stream-caddy-'),
      });
    }, 60_000);

    it('brings sessions up to an https:// relay URL, trusting Caddy’s CA through NODE_EXTRA_CA_CERTS', async () => {
      const c = await s.instance('home-c');
      const agent = (agents.c = await s.startAgent('home-c', c, {
        relayUrl: caddy.url,
        env: { NODE_EXTRA_CA_CERTS: caddy.caFile },
      }));
      await agent.connected();
      expect(agent.output()).toContain(caddy.url);
      const r = await s.edge.answers(c.host, 200, 20_000);
      expect(r.body).toBe('hello from home-c');
      await expectOnStream(c);
      // Caddy is really in the way: the certificate is its CA's, which nobody else trusts.
      const untrusted = await s.lab.exec('home-c', 'curl', ['-sS', '-m', '3', caddy.url], {
        reject: false,
      });
      expect(untrusted.exitCode).toBe(60);
    });

    it('reaches the relay only through an HTTP CONNECT proxy (HTTPS_PROXY, direct route blocked), and traffic flows', async () => {
      const password = `proxy-${randomBytes(6).toString('hex')}`;
      s.relay.ledger.add(password);
      const proxy = opened.add(await startConnectProxy(s.lab.rootIp, { user: 'agent', password }));
      // home-p cannot reach the cloud host at all, neither the API nor Caddy.
      await s.lab.exec('home-p', 'iptables', ['-A', 'OUTPUT', '-d', s.cloudIp, '-j', 'REJECT']);
      const direct = await s.lab.exec('home-p', 'curl', ['-sS', '-m', '3', '-k', caddy.url], {
        reject: false,
      });
      expect(direct.exitCode).not.toBe(0);

      const p = await s.instance('home-p');
      const agent = (agents.p = await s.startAgent('home-p', p, {
        relayUrl: caddy.url,
        // HTTPS_PROXY alone: the sessions and the agent's API calls (public URL) both take it.
        env: { NODE_EXTRA_CA_CERTS: caddy.caFile, HTTPS_PROXY: proxy.url },
      }));
      await agent.connected();
      const r = await s.edge.answers(p.host, 200, 20_000);
      expect(r.body).toBe('hello from home-p');
      await expectOnStream(p);
      // Both sessions went through the proxy, and only ever to the relay's URL.
      const relayAuthority = new URL(caddy.url).host;
      expect(proxy.connects.length).toBeGreaterThanOrEqual(2);
      expect(new Set(proxy.connects)).toEqual(new Set([relayAuthority]));
      expect(agent.output()).not.toContain(password);
    });
  });

  it('leaves no secret in the relay’s or the agents’ output', () => {
    const logs = [s.relay.output(), ...Object.values(agents).map((x) => x.output())].join('\n');
    expect(s.relay.ledger.leakedIn(logs)).toEqual([]);
  });
});
