import { HealthResponse } from '@cloud-connect/agent-core/api';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../clock.js';
import {
  createAccount,
  createInstance,
  startTestRelay,
  until,
  type TestRelay,
} from '../../testing/index.js';
import { startTestRelayForTest } from '../../testing/relayFixtures.js';
import { connectStreamAgent } from '../../testing/streamAgent.js';
import { generateKeyPair } from '@cloud-connect/agent-core/wireguard';
import { storeOnlyWireGuard } from '../../wireguard/server.js';

/** One Prometheus sample: `name{label="v",…} value`; 0 when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return 0;
}

async function metrics(relay: TestRelay): Promise<string> {
  const res = await fetch(`${relay.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe('GET /v1/health', () => {
  it('answers ok with every part checked when all is well', async () => {
    const t = await startTestRelayForTest();
    const res = await t.api.get('/health');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = HealthResponse.parse(res.body);
    expect(body.status).toBe('ok');
    expect(body.checks.store.ok).toBe(true);
    expect(body.checks.wireguard.ok).toBe(true);
    expect(body.checks.edge.ok).toBe(true);
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('answers 503 degraded naming the store when the store is closed', async () => {
    const t = await startTestRelayForTest();
    await t.relay.services.store.close();
    const res = await t.api.get('/health');
    expect(res.status).toBe(503);
    const body = HealthResponse.parse(res.body);
    expect(body.status).toBe('degraded');
    expect(body.checks.store).toEqual({ ok: false, detail: 'The store is closed' });
    expect(body.checks.wireguard.ok).toBe(true);
    expect(body.checks.edge.ok).toBe(true);
  });

  it('answers 503 degraded naming WireGuard when the WireGuard server reports not ok', async () => {
    const wireguard = {
      ...storeOnlyWireGuard(generateKeyPair().publicKey),
      health: async () => ({ ok: false, detail: 'interface ccwg0 is down' }),
    };
    const t = await startTestRelayForTest({ services: { wireguard } });
    const res = await t.api.get('/health');
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('degraded');
    expect(res.body.checks.wireguard).toEqual({ ok: false, detail: 'interface ccwg0 is down' });
    expect(res.body.checks.store.ok).toBe(true);
  });

  it('answers 503 degraded naming the edge when its check throws', async () => {
    const t = await startTestRelayForTest({
      services: {
        edgeHealth: async () => {
          throw new Error('Caddy admin API refused the connection');
        },
      },
    });
    const res = await t.api.get('/health');
    expect(res.status).toBe(503);
    expect(res.body.checks.edge).toEqual({
      ok: false,
      detail: 'Caddy admin API refused the connection',
    });
  });
});

describe('GET /metrics', () => {
  it('serves the relay metrics in Prometheus text', async () => {
    const t = await startTestRelayForTest();
    const text = await metrics(t);
    for (const [name, type] of [
      ['cloud_connect_active_tunnels', 'gauge'],
      ['cloud_connect_http_request_duration_seconds', 'histogram'],
      ['cloud_connect_failed_registrations_total', 'counter'],
      ['cloud_connect_webhook_failures_total', 'counter'],
      ['cloud_connect_stream_sessions', 'gauge'],
    ]) {
      expect(text).toContain(`# TYPE ${name} ${type}`);
    }
    expect(sample(text, 'cloud_connect_active_tunnels')).toBe(0);
    expect(sample(text, 'cloud_connect_stream_sessions')).toBe(0);
  });

  it('counts stream sessions, and a stream agent as an active tunnel without a registration', async () => {
    const t = await startTestRelayForTest();
    const account = await createAccount(t);
    const one = await createInstance(t, account, 'metrics-stream');
    const token = one.credentials.instance_token;
    const sessions = [1, 2].map(() =>
      connectStreamAgent(t.url, token, (_req, res) => res.end('ok')),
    );
    for (const s of await Promise.all(sessions)) {
      if (!s.ok) throw new Error(`upgrade refused: ${s.status}`);
      await s.session;
    }
    let text = await metrics(t);
    expect(sample(text, 'cloud_connect_stream_sessions')).toBe(2);
    expect(sample(text, 'cloud_connect_active_tunnels')).toBe(1);
    for (const s of await Promise.all(sessions)) if (s.ok) s.close();
    await until('sessions gone', () => !t.relay.streams.has(one.instance.id), 2_000, 20);
    text = await metrics(t);
    expect(sample(text, 'cloud_connect_stream_sessions')).toBe(0);
    expect(sample(text, 'cloud_connect_active_tunnels')).toBe(0);
  });

  it('counts active tunnels as they connect, go silent and disconnect', async () => {
    let offsetMs = 0;
    const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };
    const t = await startTestRelayForTest({ clock });
    const account = await createAccount(t);
    const one = await createInstance(t, account, 'metrics-one');
    const token = one.credentials.instance_token;
    const active = async () => sample(await metrics(t), 'cloud_connect_active_tunnels');

    expect(await active()).toBe(0);
    await t.api.post('/tunnel/register', { public_key: generateKeyPair().publicKey }, { token });
    await t.api.post('/tunnel/heartbeat', {}, { token });
    expect(await active()).toBe(1);
    // Three missed heartbeats (3 × 60 s) and the tunnel no longer counts.
    offsetMs = 181_000;
    expect(await active()).toBe(0);
    offsetMs = 0;
    expect(await active()).toBe(1);
    await t.api.post('/tunnel/disconnect', undefined, { token });
    expect(await active()).toBe(0);
  });

  it('observes request latency by route template, never by raw path', async () => {
    const t = await startTestRelayForTest();
    const account = await createAccount(t);
    const inst = await createInstance(t, account, 'metrics-route');
    const labels = { method: 'GET', route: '/v1/health', status: '200' };
    const before = sample(
      await metrics(t),
      'cloud_connect_http_request_duration_seconds_count',
      labels,
    );
    for (let i = 0; i < 3; i++) await t.api.get('/health');
    await t.api.get(`/instances/${inst.instance.id}`, { token: account.accessToken });
    const text = await metrics(t);
    expect(sample(text, 'cloud_connect_http_request_duration_seconds_count', labels)).toBe(
      before + 3,
    );
    expect(
      sample(text, 'cloud_connect_http_request_duration_seconds_bucket', { ...labels, le: '+Inf' }),
    ).toBe(before + 3);
    expect(
      sample(text, 'cloud_connect_http_request_duration_seconds_count', {
        route: '/v1/instances/:instance_id',
        status: '200',
      }),
    ).toBe(1);
    expect(text).not.toContain(inst.instance.id);
  });

  it('counts refused tunnel registrations by reason', async () => {
    const t = await startTestRelayForTest();
    const account = await createAccount(t);
    const inst = await createInstance(t, account, 'metrics-fail');
    const name = 'cloud_connect_failed_registrations_total';
    const key = { public_key: generateKeyPair().publicKey };
    await t.api.post('/tunnel/register', key, { token: 'garbage-token-value' });
    await t.api.post('/tunnel/register', key, { token: 'garbage-token-value' });
    await t.api.post(
      '/tunnel/register',
      { public_key: 'not-a-key' },
      { token: inst.credentials.instance_token },
    );
    await t.api.post('/tunnel/register', key, { token: inst.credentials.instance_token });
    const text = await metrics(t);
    expect(sample(text, name, { kind: 'tunnel', reason: 'unauthorized' })).toBe(2);
    expect(sample(text, name, { kind: 'tunnel', reason: 'validation_error' })).toBe(1);
  });

  it('counts webhook failures when a signature does not hold', async () => {
    const t = await startTestRelayForTest({
      env: {
        STRIPE_SECRET_KEY: 'sk_test_metrics',
        STRIPE_WEBHOOK_SECRET: 'whsec_metrics',
        STRIPE_PRICE_PRO: 'price_pro',
        STRIPE_PRICE_BUSINESS: 'price_business',
        STRIPE_API_BASE: 'http://127.0.0.1:9',
      },
    });
    const name = 'cloud_connect_webhook_failures_total';
    expect(sample(await metrics(t), name, { reason: 'signature' })).toBe(0);
    const payload = JSON.stringify({ id: 'evt_1', type: 'invoice.payment_failed' });
    const signature = new Stripe('sk_test_metrics').webhooks.generateTestHeaderString({
      payload,
      secret: 'whsec_not_the_endpoint_secret',
    });
    const res = await t.api.post('/billing/webhook', payload, {
      headers: { 'stripe-signature': signature },
    });
    expect(res.status).toBe(400);
    expect(sample(await metrics(t), name, { reason: 'signature' })).toBe(1);
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  const TOKEN = 'scrape-token-0123456789';

  it('answers only a scraper that sends the token, in the error format otherwise', async () => {
    const t = await startTestRelayForTest({ env: { METRICS_TOKEN: TOKEN } });
    t.ledger.add(TOKEN);
    for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${TOKEN}`, TOKEN]) {
      const res = await fetch(`${t.url}/metrics`, {
        headers: authorization ? { authorization } : {},
      });
      expect(res.status, `authorization: ${authorization}`).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('UNAUTHORIZED');
      expect(JSON.stringify(body)).not.toContain(TOKEN);
    }
    const ok = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('cloud_connect_');
    expect(t.logs.text()).not.toContain(TOKEN);
  });

  it('stays open without it, and a token too short to be one stops the start-up', async () => {
    const t = await startTestRelayForTest();
    await metrics(t);
    await expect(startTestRelay({ env: { METRICS_TOKEN: 'short' } })).rejects.toThrow(
      /METRICS_TOKEN: must be at least 16 characters/,
    );
  });
});
