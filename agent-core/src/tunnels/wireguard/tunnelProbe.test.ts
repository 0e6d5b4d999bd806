import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probeTcp } from './tunnelProbe.js';

describe('probeTcp', () => {
  let server: Server | null = null;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  it('counts an accepted connection as reachable', async () => {
    server = createServer((s) => s.end());
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    expect(await probeTcp('127.0.0.1', port)).toMatchObject({ reachable: true, result: 'open' });
  });

  it('counts a refused connection as reachable: the refusal came back over the path', async () => {
    server = createServer();
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server?.close(() => r()));
    server = null;
    expect(await probeTcp('127.0.0.1', port)).toMatchObject({ reachable: true, result: 'refused' });
  });
});
