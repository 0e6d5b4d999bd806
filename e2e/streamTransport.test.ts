import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { upgradeEcho } from './harness/labTunnel.js';
import { requireNetlab } from './harness/netlab.js';
import { NOBODY, StreamLab, type LabInstance, type StreamAgent } from './harness/streamLab.js';
import { teardownAfterAll } from './harness/suiteTeardown.js';

/**
 * Issue 11's stream transport end to end, in network namespaces: "cloud" runs the relay with
 * its built-in edge; "home-a" and "home-b" run a test app and the real `cloud-connect connect
 * --transport stream` as nobody, without any capability; "internet" is the visitor. Every
 * request below goes internet → edge → stream session → agent → app.
 */

const available = requireNetlab();

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

  beforeAll(async () => {
    s = await StreamLab.start(opened, { tag: 'st', homes: ['home-a', 'home-b'] });
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
    const inst = await s.relay.api.get(`/instances/${a.instanceId}`, { token: a.accessToken });
    expect(inst.body.status).toBe('connected');
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
});
