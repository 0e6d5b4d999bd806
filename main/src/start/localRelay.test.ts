import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { firstFreePort, localRelayEnv } from './localRelay.js';

const held: Server[] = [];
afterEach(async () => {
  await Promise.all(held.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** Listen on a port the OS picks and keep it, as another program would. */
async function holdAPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  held.push(server);
  return (server.address() as { port: number }).port;
}

describe('firstFreePort', () => {
  it('skips a port another program listens on', async () => {
    const taken = await holdAPort();
    const port = await firstFreePort('127.0.0.1', taken, 10);
    expect(port).toBeGreaterThan(taken);
    expect(port).toBeLessThan(taken + 10);
  });

  it('says which ports it tried when none is free', async () => {
    const taken = await holdAPort();
    await expect(firstFreePort('127.0.0.1', taken, 1)).rejects.toThrow(
      `no free port for the edge on 127.0.0.1 from ${taken} to ${taken}; set EDGE_PORT to a free one`,
    );
  });
});

describe('localRelayEnv', () => {
  const place = { port: '8787', dataDir: '/tmp/relay', edgePort: 8081 };

  it('runs the built-in edge on loopback with WireGuard off and loopback tunnel addresses', () => {
    expect(localRelayEnv({}, place)).toEqual({
      EDGE_MODE: 'builtin',
      EDGE_HOST: '127.0.0.1',
      EDGE_PORT: '8081',
      WG_MODE: 'off',
      TUNNEL_CIDR: '127.77.0.0/16',
      RELAY_BASE_DOMAIN: 'localhost',
      RELAY_HOST: '127.0.0.1',
      RELAY_PORT: '8787',
      RELAY_DATA_DIR: '/tmp/relay',
    });
  });

  it('keeps the user’s own settings, but not where the launcher must find the relay', () => {
    const env = localRelayEnv(
      { LOG_LEVEL: 'debug', WG_MODE: 'kernel', RELAY_HOST: '0.0.0.0', EDGE_PORT: '9999' },
      place,
    );
    expect(env).toMatchObject({
      LOG_LEVEL: 'debug',
      WG_MODE: 'kernel',
      RELAY_HOST: '127.0.0.1',
      EDGE_PORT: '8081',
    });
  });
});
