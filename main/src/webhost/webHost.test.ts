import { on } from 'node:events';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ServerMessage } from '@cloud-connect/agent-core/desktop';
import { createManager, type Manager } from '@cloud-connect/agent-core/manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { composeDesktopApi } from '../host/composeDesktopApi.js';
import { webHostApi } from '../host/webHostApi.js';
import { startWebHost, type RunningWebHost } from './webHost.js';

const TOKEN = 'web-host-test-token-0123456789';
let dir: string;
let manager: Manager;
let host: RunningWebHost;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cc-webhost-'));
  const rendererDir = path.join(dir, 'renderer');
  await mkdir(rendererDir);
  await writeFile(
    path.join(rendererDir, 'index.html'),
    '<!doctype html><title>Cloud Connect</title>',
  );
  manager = await createManager({
    dataDir: path.join(dir, 'app'),
    env: { CLOUD_CONNECT_SECRET_KEY: 'web-host-test-secret-key-0123456789' },
    defaultRelayUrl: 'http://127.0.0.1:9',
  });
  host = await startWebHost({
    api: composeDesktopApi(manager, webHostApi('test')),
    rendererDir,
    token: TOKEN,
  });
});

afterEach(async () => {
  await host.close();
  await manager.shutdown();
  await rm(dir, { recursive: true, force: true });
});

function get(pathname: string, headers: Record<string, string> = {}) {
  return new Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: string;
  }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path: pathname, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += String(d)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A socket to the bridge; resolves once open, or with the HTTP status when the upgrade is refused. */
function connect(origin: string | null, hostHeader?: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws`, {
    ...(origin ? { origin } : {}),
    ...(hostHeader ? { headers: { host: hostHeader } } : {}),
  });
  const messages: ServerMessage[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(String(d)) as ServerMessage));
  const opened = new Promise<{ ok: true } | { ok: false; status: number }>((resolve) => {
    ws.on('open', () => resolve({ ok: true }));
    ws.on('unexpected-response', (_req, res) =>
      resolve({ ok: false, status: res.statusCode ?? 0 }),
    );
    ws.on('error', () => resolve({ ok: false, status: 0 }));
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  /** The first message (received or to come) that matches, within `timeoutMs`. */
  const next = async (predicate: (m: ServerMessage) => boolean, timeoutMs = 5000) => {
    let found = messages.find(predicate);
    if (found) return found;
    try {
      // The listener above records each message before this loop looks.
      for await (const _ of on(ws, 'message', { signal: AbortSignal.timeout(timeoutMs) })) {
        found = messages.find(predicate);
        if (found) return found;
      }
    } catch {
      // The time ran out: said below.
    }
    throw new Error(`no such message within ${timeoutMs} ms; got ${JSON.stringify(messages)}`);
  };
  return { ws, opened, closed, messages, next };
}

async function authed() {
  const c = connect(host.origin);
  expect(await c.opened).toEqual({ ok: true });
  c.ws.send(JSON.stringify({ type: 'hello', token: TOKEN }));
  await c.next((m) => m.type === 'ready');
  return c;
}

describe('web host: the page', () => {
  it('serves the renderer with a strict CSP to its own host names only', async () => {
    const ok = await get('/', { host: `127.0.0.1:${host.port}` });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('<title>Cloud Connect</title>');
    const csp = String(ok.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    // Only its own origin (the bridge socket): no ws:/wss:/http: wildcard to anywhere else.
    expect(csp).toMatch(/connect-src 'self'(;|$)/);
    for (const d of ["base-uri 'none'", "object-src 'none'", "frame-ancestors 'none'"])
      expect(csp).toContain(d);
    expect(ok.headers['x-frame-options']).toBe('DENY');
    expect((await get('/', { host: `localhost:${host.port}` })).status).toBe(200);
    // A DNS-rebinding page reaches us under its own name: refused.
    const rebound = await get('/', { host: `evil.example:${host.port}` });
    expect(rebound.status).toBe(421);
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/#token=${TOKEN}`);
  });
});

describe('web host: the bridge socket', () => {
  it('refuses an upgrade from another origin or without one', async () => {
    expect(await connect('http://evil.example').opened).toEqual({ ok: false, status: 403 });
    expect(await connect(null).opened).toEqual({ ok: false, status: 403 });
    expect(await connect(host.origin, `evil.example:${host.port}`).opened).toMatchObject({
      ok: false,
    });
  });

  it('closes with 4401 on a wrong access token and 4400 on a message that is not JSON', async () => {
    const bad = connect(host.origin);
    await bad.opened;
    bad.ws.send(JSON.stringify({ type: 'hello', token: 'wrong' }));
    expect(await bad.closed).toBe(4401);
    const calling = connect(host.origin);
    await calling.opened;
    calling.ws.send(JSON.stringify({ type: 'call', id: 1, method: 'getSession', args: [] }));
    expect(await calling.closed).toBe(4401);
    const garbage = await authed();
    garbage.ws.send('{not json');
    expect(await garbage.closed).toBe(4400);
  });

  it('answers calls, refuses unknown methods and bad arguments before they reach the Manager', async () => {
    const c = await authed();
    c.ws.send(JSON.stringify({ type: 'call', id: 1, method: 'listConnections', args: [] }));
    expect(await c.next((m) => m.type === 'result' && m.id === 1)).toEqual({
      type: 'result',
      id: 1,
      result: { ok: true, value: [] },
    });

    c.ws.send(JSON.stringify({ type: 'call', id: 2, method: 'constructor', args: [] }));
    expect(await c.next((m) => m.type === 'result' && m.id === 2)).toMatchObject({
      result: { ok: false, code: 'UNKNOWN_METHOD' },
    });

    c.ws.send(
      JSON.stringify({
        type: 'call',
        id: 3,
        method: 'addConnection',
        args: [{ kind: 'cloudflare', name: '', token: 'short' }],
      }),
    );
    const bad = await c.next((m) => m.type === 'result' && m.id === 3);
    expect(bad).toMatchObject({
      result: { ok: false, code: 'VALIDATION_ERROR', fields: { name: 'is required' } },
    });
    expect(JSON.stringify(bad)).toContain('token');

    c.ws.send(
      JSON.stringify({
        type: 'call',
        id: 4,
        method: 'openExternal',
        args: ['javascript:alert(1)'],
      }),
    );
    expect(await c.next((m) => m.type === 'result' && m.id === 4)).toMatchObject({
      result: { ok: false, code: 'VALIDATION_ERROR' },
    });
    // Nothing was stored.
    expect(await manager.listConnections()).toEqual({ ok: true, value: [] });
    expect(
      (await readdir(path.join(dir, 'app')).catch(() => [])).filter((f) => f.startsWith('secrets')),
    ).toEqual([]);
  });

  it('pushes connection changes to the page as they happen', async () => {
    const c = await authed();
    c.ws.send(
      JSON.stringify({
        type: 'call',
        id: 1,
        method: 'addConnection',
        args: [{ kind: 'cloudflare', name: 'Files', token: 'e'.repeat(60) }],
      }),
    );
    await c.next((m) => m.type === 'result' && m.id === 1);
    const event = await c.next((m) => m.type === 'event' && m.channel === 'connections');
    expect(event).toMatchObject({
      type: 'event',
      channel: 'connections',
      payload: [{ name: 'Files', hasToken: true }],
    });
    expect(JSON.stringify(c.messages)).not.toContain('e'.repeat(60));
  });
});
