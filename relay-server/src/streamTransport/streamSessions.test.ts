import type { ClientHttp2Stream } from 'node:http2';
import {
  STREAM_PATH,
  STREAM_PING_DEADLINE_MS,
  STREAM_PING_INTERVAL_MS,
} from '@cloud-connect/agent-core/api';
import { generateKeyPair } from '@cloud-connect/agent-core/wireguard';
import { describe, expect, it } from 'vitest';
import {
  createAccount,
  createInstance,
  manualClock,
  rawRequest,
  until,
  type TestRelay,
} from '../testing/index.js';
import { startTestRelayForTest } from '../testing/relayFixtures.js';
import { connectStreamAgent, type TestStreamAgent } from '../testing/streamAgent.js';
import { MAX_SESSIONS_PER_INSTANCE } from './streamSessions.js';

/** The status and body a stream's answer brings back. */
function answer(
  stream: ClientHttp2Stream,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let text = '';
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => (text += d));
    stream.on('end', () => resolve({ status, text }));
    stream.on('error', reject);
    stream.end(body);
  });
}

/** An agent that answers every stream with the instance it was started for and what it got. */
async function agentFor(t: TestRelay, token: string, name = 'agent'): Promise<TestStreamAgent> {
  const agent = await connectStreamAgent(t.url, token, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => res.end(`${name} ${req.method} ${req.url} ${body}`));
  });
  if (!agent.ok) throw new Error(`upgrade refused: ${agent.status} ${agent.body}`);
  await agent.session;
  return agent;
}

async function instanceOf(t: TestRelay, subdomain: string) {
  const account = await createAccount(t);
  const created = await createInstance(t, account, subdomain);
  t.ledger.add(created.credentials.instance_token);
  return { account, id: created.instance.id, token: created.credentials.instance_token };
}

describe('stream transport: sessions', () => {
  it('refuses a bad, missing or revoked token with the API 401 and registers nothing', async () => {
    const t = await startTestRelayForTest();
    const { id, token, account } = await instanceOf(t, 'refused');
    for (const bad of [undefined, 'not-a-token', `${token}x`]) {
      const res = await connectStreamAgent(t.url, bad, () => undefined);
      expect(res.ok).toBe(false);
      if (res.ok) continue;
      expect(res.status).toBe(401);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    }
    await t.api.post(`/instances/${id}/regenerate-token`, undefined, {
      token: account.accessToken,
    });
    const revoked = await connectStreamAgent(t.url, token, () => undefined);
    expect(revoked).toMatchObject({ ok: false, status: 401 });
    expect(t.relay.streams.count(id)).toBe(0);
  });

  it('answers a reconnect loop with 429 and Retry-After (the tunnel calls limit)', async () => {
    const t = await startTestRelayForTest({
      rateLimits: { tunnelPerInstance: { points: 2, durationSeconds: 60 } },
    });
    const { id, token } = await instanceOf(t, 'looping');
    await agentFor(t, token);
    await agentFor(t, token);
    const third = await connectStreamAgent(t.url, token, () => undefined);
    expect(third).toMatchObject({ ok: false, status: 429 });
    if (!third.ok) {
      expect(JSON.parse(third.body)).toMatchObject({ error: { code: 'RATE_LIMITED' } });
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(t.relay.streams.count(id)).toBe(2);
  });

  it('leaves other upgrade requests to the API as before', async () => {
    const t = await startTestRelayForTest();
    const res = await rawRequest(
      t.url,
      `GET ${STREAM_PATH} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, close\r\nUpgrade: websocket\r\n\r\n`,
    );
    expect(res.status).not.toBe(101);
    expect(res.status).toBeLessThan(500);
  });

  it('registers a session whose streams reach the agent and bring its answer back', async () => {
    const t = await startTestRelayForTest();
    const { id, token } = await instanceOf(t, 'carried');
    await agentFor(t, token);
    await until('the session is registered', () => t.relay.streams.has(id));
    const stream = t.relay.streams.open(id, { ':method': 'POST', ':path': '/hello?x=1' });
    expect(stream).not.toBeNull();
    expect(await answer(stream as ClientHttp2Stream, 'body')).toEqual({
      status: 200,
      text: 'agent POST /hello?x=1 body',
    });
    expect(t.relay.streams.open('no-such-instance', { ':path': '/' })).toBeNull();
  });

  it('spreads streams over the live sessions and keeps only the newest few', async () => {
    const t = await startTestRelayForTest();
    const { id, token } = await instanceOf(t, 'spread');
    const agents = [];
    for (let i = 0; i <= MAX_SESSIONS_PER_INSTANCE; i++)
      agents.push(await agentFor(t, token, `a${i}`));
    await agents[0]?.closed;
    await until(
      'the newest sessions stay',
      () => t.relay.streams.count(id) === MAX_SESSIONS_PER_INSTANCE,
    );
    const seen = new Set<string>();
    for (let i = 0; i < MAX_SESSIONS_PER_INSTANCE; i++) {
      const stream = t.relay.streams.open(id, { ':path': '/' }) as ClientHttp2Stream;
      seen.add((await answer(stream)).text.split(' ')[0] as string);
    }
    expect(seen.size).toBe(MAX_SESSIONS_PER_INSTANCE);
    expect(seen.has('a0')).toBe(false);
  });

  it.each([
    ['regenerated', 'regenerate-token'],
    ['deleted', 'delete'],
  ])('closes the sessions of an instance whose token was %s at once', async (_what, action) => {
    const t = await startTestRelayForTest();
    const { id, token, account } = await instanceOf(t, `gone-${action}`);
    const other = await instanceOf(t, `stays-${action}`);
    const agents = [await agentFor(t, token), await agentFor(t, token)];
    const bystander = await agentFor(t, other.token);
    await until('both sessions', () => t.relay.streams.count(id) === 2);
    const res =
      action === 'delete'
        ? await t.api.delete(`/instances/${id}`, { token: account.accessToken })
        : await t.api.post(`/instances/${id}/regenerate-token`, undefined, {
            token: account.accessToken,
          });
    expect(res.status).toBeLessThan(300);
    await Promise.all(agents.map((a) => a.closed));
    expect(t.relay.streams.count(id)).toBe(0);
    expect(t.relay.streams.count(other.id)).toBe(1);
    expect(bystander.socket.destroyed).toBe(false);
  });

  it('drops a session 2 ping intervals after its last answer (or its start), not later, and keeps one that answers', async () => {
    const clock = manualClock(new Date('2026-01-01T00:00:00Z'));
    const t = await startTestRelayForTest({ timers: clock });
    const mute = await instanceOf(t, 'mute');
    const quiet = await instanceOf(t, 'quiet');
    const lively = await instanceOf(t, 'lively');
    const muteAgent = await agentFor(t, mute.token);
    const quietAgent = await agentFor(t, quiet.token);
    await agentFor(t, lively.token);
    const ids = [mute.id, quiet.id, lively.id];
    await until('all registered', () => ids.every((id) => t.relay.streams.has(id)));
    const live = () => ids.filter((id) => t.relay.streams.has(id));
    /**
     * Move the clock on; each answering session then carries a stream: sent after any ping the
     * tick sent, its answer comes after the ping's, so the relay has seen that answer.
     */
    const advance = async (ms: number, answering: string[]) => {
      clock.advance(ms);
      for (const id of answering)
        await answer(t.relay.streams.open(id, { ':path': '/' }) as ClientHttp2Stream);
    };
    // Silent from the start: gone exactly one deadline after the session came up.
    muteAgent.freeze();
    await advance(STREAM_PING_INTERVAL_MS, [quiet.id, lively.id]);
    // Silent right after answering the ping at 5 s: its deadline runs from that answer.
    quietAgent.freeze();
    await advance(STREAM_PING_DEADLINE_MS - STREAM_PING_INTERVAL_MS - 1, []);
    expect(live()).toEqual(ids);
    await advance(1, [lively.id]);
    expect(live()).toEqual([quiet.id, lively.id]);
    // Two pings (10 s, and 5 s) unanswered by now, but 10 s since its answer only at 15 s.
    await advance(STREAM_PING_INTERVAL_MS - 1, []);
    expect(live()).toEqual([quiet.id, lively.id]);
    await advance(1, [lively.id]);
    expect(live()).toEqual([lively.id]);
    // The one that answers stays for as long as it does.
    for (let i = 0; i < 4; i++) await advance(STREAM_PING_INTERVAL_MS, [lively.id]);
    expect(live()).toEqual([lively.id]);
  });

  it('tells the agent on register which transports it offers, and the status which is in use', async () => {
    const t = await startTestRelayForTest();
    const { id, token } = await instanceOf(t, 'named');
    const auth = { token };
    const registered = await t.api.post(
      '/tunnel/register',
      { public_key: generateKeyPair().publicKey },
      auth,
    );
    expect(registered.status).toBe(200);
    // The test relay runs with WG_MODE=off: no WireGuard of its own.
    expect(registered.body.transports).toEqual({ wireguard: false, stream: { path: STREAM_PATH } });
    expect((await t.api.get('/tunnel/status', auth)).body.transport).toBeNull();
    const agent = await agentFor(t, token);
    await until('registered', () => t.relay.streams.has(id));
    const live = (await t.api.get('/tunnel/status', auth)).body;
    expect(live.transport).toBe('stream');
    // The relay sees a stream session's data path itself (pings through it), WG_MODE=off or not.
    expect(live.data_path).toMatchObject({ state: 'up', checked_by_relay: true });
    agent.close();
    await until('session gone', () => !t.relay.streams.has(id), 2_000, 20);
    const after = (await t.api.get('/tunnel/status', auth)).body;
    expect(after.transport).toBeNull();
    expect(after.data_path).toMatchObject({ state: 'unchecked', checked_by_relay: false });
  });

  it('shows an agent that never registered connected while it holds a session, disconnected once it holds none', async () => {
    const t = await startTestRelayForTest();
    const { id, token, account } = await instanceOf(t, 'unregistered');
    const instance = async () =>
      (await t.api.get(`/instances/${id}`, { token: account.accessToken })).body;
    expect((await instance()).status).toBe('pending');
    const agent = await agentFor(t, token);
    await until('session registered', () => t.relay.streams.has(id));
    expect(await instance()).toMatchObject({
      status: 'connected',
      agent: { alive: true },
      data_path: { state: 'up' },
      transport: 'stream',
    });
    const status = (await t.api.get('/tunnel/status', { token })).body;
    expect(status).toMatchObject({ tunnel_status: 'connected', transport: 'stream' });
    agent.close();
    await until('session gone', () => !t.relay.streams.has(id), 2_000, 20);
    // No heartbeat window to wait out: the relay recorded the last session going.
    await until('recorded', async () => (await instance()).status === 'disconnected', 2_000, 20);
    const after = await instance();
    expect(after).toMatchObject({
      status: 'disconnected',
      agent: { alive: false },
      transport: null,
    });
    expect(after.agent.last_seen).not.toBeNull();
  });

  it('shows disconnected once the last session goes, though a WireGuard agent that went silent left connected in the store', async () => {
    const clock = manualClock();
    const t = await startTestRelayForTest({ clock });
    const { id, token, account } = await instanceOf(t, 'silent');
    const instance = async () =>
      (await t.api.get(`/instances/${id}`, { token: account.accessToken })).body;
    // A WireGuard agent registered and heartbeated (WG_MODE=off: its data path is unchecked),
    // then went away without a disconnect: three heartbeats missed, it is not alive.
    const key = { public_key: generateKeyPair().publicKey };
    expect((await t.api.post('/tunnel/register', key, { token })).status).toBe(200);
    expect((await t.api.post('/tunnel/heartbeat', {}, { token })).status).toBe(200);
    clock.advance(181_000);
    expect(await instance()).toMatchObject({ status: 'disconnected', agent: { alive: false } });
    const agent = await agentFor(t, token);
    await until('session registered', () => t.relay.streams.has(id));
    expect((await instance()).status).toBe('connected');
    agent.close();
    await until('session gone', () => !t.relay.streams.has(id), 2_000, 20);
    const closedAt = clock.now().toISOString();
    await until('recorded', async () => (await instance()).agent.last_seen === closedAt, 2_000, 20);
    expect(await instance()).toMatchObject({
      status: 'disconnected',
      agent: { alive: false, last_seen: closedAt },
      transport: null,
    });
  });
});
