import { execa } from 'execa';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cloudflaredStandInPath } from './paths.js';
import { createStandInFixture, type StandInFixture } from './standInFixture.js';
import { makeTunnelToken, tunnelIdOf } from './tunnelToken.js';

// The stand-in's own contract with FACTS.md, checked by running it as a program.

let fixture: StandInFixture | null = null;
afterEach(async () => {
  await fixture?.cleanup();
  fixture = null;
});

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

function run(token: string, metrics: string, env: Record<string, string> = {}) {
  return execa(
    cloudflaredStandInPath(),
    ['tunnel', '--no-autoupdate', '--metrics', metrics, 'run'],
    { env: { ...env, TUNNEL_TOKEN: token }, reject: false, buffer: true },
  );
}

async function get(url: string): Promise<{ status: number; body: string } | null> {
  try {
    const res = await fetch(url);
    return { status: res.status, body: await res.text() };
  } catch {
    return null;
  }
}

async function until<T>(probe: () => Promise<T | null>, ok: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (value !== null && ok(value)) return value;
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('cloudflared stand-in', () => {
  it.each(['garbage', 'eyJub3QiOiJjbG9zZWQ', Buffer.from('[1,2]').toString('base64')])(
    'refuses the malformed token %s at once with the real message and exit code 255',
    async (token) => {
      const result = await run(token, `127.0.0.1:${await freePort()}`);
      expect(result.exitCode).toBe(255);
      expect(result.stderr).toBe(
        "Provided Tunnel token is not valid.\nSee 'cloudflared tunnel run --help'.",
      );
    },
  );

  it('serves /ready as 503 until a connection is up, then 200 with the count; /healthcheck and /metrics', async () => {
    fixture = await createStandInFixture({ readyDelayMs: 400 });
    const metrics = `127.0.0.1:${await freePort()}`;
    const child = run(makeTunnelToken(), metrics, {
      CLOUDFLARED_STANDIN_SCENARIO: fixture.scenarioPath,
    });
    try {
      const early = await until(
        () => get(`http://${metrics}/ready`),
        () => true,
      );
      expect(early.status).toBe(503);
      expect(JSON.parse(early.body)).toMatchObject({ status: 503, readyConnections: 0 });
      const ready = await until(
        () => get(`http://${metrics}/ready`),
        (r) => r.status === 200 && JSON.parse(r.body).readyConnections === 4,
      );
      expect(JSON.parse(ready.body)).toEqual({
        status: 200,
        readyConnections: 4,
        connectorId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      expect(await get(`http://${metrics}/healthcheck`)).toEqual({ status: 200, body: 'OK\n' });
      const prom = await get(`http://${metrics}/metrics`);
      expect(prom?.body).toMatch(/^cloudflared_tunnel_ha_connections 4$/m);
      const status = await fixture.readStatus();
      expect(status).toMatchObject({ pid: child.pid, state: 'running', readyConnections: 4 });
    } finally {
      child.kill('SIGTERM');
      const result = await child;
      expect(result.exitCode).toBe(0);
      expect(result.stderr).toContain('Initiating graceful shutdown due to signal terminated');
    }
  });

  it('applies per-tunnel overrides: one tunnel is refused, another is accepted', async () => {
    const refused = makeTunnelToken();
    fixture = await createStandInFixture({
      tunnels: { [tunnelIdOf(refused)]: { reject: 'Unauthorized: Invalid tunnel secret' } },
      retryBaseMs: 20,
    });
    const env = { CLOUDFLARED_STANDIN_SCENARIO: fixture.scenarioPath };
    const outputs = await Promise.all(
      [refused, makeTunnelToken()].map(async (token) => {
        const child = run(token, `127.0.0.1:${await freePort()}`, env);
        let text = '';
        child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
        await until(
          async () => text,
          (t) =>
            /Retrying connection in up to \S+ connIndex=0[^]*Retrying/.test(t) ||
            /connIndex=3/.test(t),
        );
        child.kill('SIGTERM');
        await child;
        return text;
      }),
    );
    const [refusedLog = '', acceptedLog = ''] = outputs;
    expect(refusedLog).toMatch(
      /ERR Register tunnel error from server side connIndex=0 error="Unauthorized: Invalid tunnel secret" event=0 ip=\S+/,
    );
    expect(refusedLog).toMatch(/INF Retrying connection in up to \d+ms connIndex=0/);
    expect(refusedLog).not.toContain('Registered tunnel connection');
    expect(acceptedLog).toMatch(
      /INF Registered tunnel connection connIndex=0 connection=\S+ event=0/,
    );
    expect(acceptedLog).not.toContain('Register tunnel error');
  });
});
