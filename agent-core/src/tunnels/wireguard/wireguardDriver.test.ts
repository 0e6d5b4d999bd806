import { readdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createAccount,
  createInstance,
  startTestRelay,
  type TestRelay,
} from '@cloud-connect/relay-server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InstanceClient } from '../../client/instanceClient.js';
import { TunnelError } from '../tunnelError.js';
import { generateKeyPair } from './keys.js';
import { parseTarget, uniqueInterfaceName, WireGuardDriver } from './wireguardDriver.js';

// The driver's paths that need no interface, against a real relay (WG_MODE=off). Bringing the
// tunnel up is tested for real in e2e/wireguard.test.ts (namespaces, wireguard-go).

describe('WireGuardDriver before the interface', () => {
  let relay: TestRelay;
  let runtimeDir: string;
  beforeAll(async () => {
    relay = await startTestRelay();
    runtimeDir = await mkdtemp(path.join(tmpdir(), 'cc-wgdrv-'));
  });
  afterAll(async () => {
    await relay.stop();
    await rm(runtimeDir, { recursive: true, force: true });
  });

  const driverWith = (baseUrl: string, token: string) =>
    new WireGuardDriver({
      api: new InstanceClient({ baseUrl, timeoutMs: 2000 }, token),
      privateKey: generateKeyPair().privateKey,
      target: 'http://localhost:8080',
      runtimeDir,
    });

  it('fails start with TOKEN_REVOKED, not retryable, when the relay rejects the instance token', async () => {
    const account = await createAccount(relay);
    const created = await createInstance(relay, account, `revoked-${Date.now() % 100000}`);
    const regen = await relay.api.post(
      `/instances/${created.instance.id}/regenerate-token`,
      undefined,
      {
        token: account.accessToken,
      },
    );
    expect(regen.status).toBe(200);
    const driver = driverWith(relay.url, created.credentials.instance_token);
    const err = (await driver.start().catch((e: unknown) => e)) as TunnelError;
    expect(err).toBeInstanceOf(TunnelError);
    expect(err.code).toBe('TOKEN_REVOKED');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/regenerated or the instance was deleted/);
    expect(err.message).not.toContain(created.credentials.instance_token);
    expect(await driver.status()).toMatchObject({ running: false, connected: false, error: err });
    // Nothing was made: no runtime dir with a config file.
    expect(await readdir(runtimeDir)).toEqual([]);
  });

  it('fails start with UNREACHABLE, retryable, when the relay cannot be reached', async () => {
    const driver = driverWith('http://127.0.0.1:9', 'some-token-value');
    const err = (await driver.start().catch((e: unknown) => e)) as TunnelError;
    expect(err.code).toBe('UNREACHABLE');
    expect(err.retryable).toBe(true);
    expect(await readdir(runtimeDir)).toEqual([]);
  });

  it('fails start with RELAY_ERROR, not UNREACHABLE, when the relay answers but with a 5xx', async () => {
    const busy = createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: { code: 'SERVICE_UNAVAILABLE', message: 'The store is busy' } }),
      );
    });
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    try {
      const { port } = busy.address() as AddressInfo;
      const driver = driverWith(`http://127.0.0.1:${port}`, 'some-token-value');
      const err = (await driver.start().catch((e: unknown) => e)) as TunnelError;
      expect(err).toMatchObject({ code: 'RELAY_ERROR', retryable: true });
      expect(err.message).toMatch(/answered 503/);
      expect(err.message).not.toMatch(/internet/i);
      expect(await readdir(runtimeDir)).toEqual([]);
    } finally {
      await new Promise((r) => busy.close(r));
    }
  });

  it('stops cleanly when it never started', async () => {
    await expect(driverWith(relay.url, 'x'.repeat(20)).stop()).resolves.toBeUndefined();
  });

  it('refuses a private key that is not a WireGuard key with CONFIG_INVALID, at construction', () => {
    expect(
      () =>
        new WireGuardDriver({
          api: new InstanceClient({ baseUrl: relay.url }, 't'),
          privateKey: 'nope',
          target: 'http://localhost:8080',
        }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe('parseTarget', () => {
  it('takes host and port of an http URL, 80/443 by default', () => {
    expect(parseTarget('http://localhost:8080')).toEqual({ host: 'localhost', port: 8080 });
    expect(parseTarget('http://app')).toEqual({ host: 'app', port: 80 });
    expect(parseTarget('https://[::1]')).toEqual({ host: '::1', port: 443 });
  });

  it.each(['localhost:8080', 'ftp://x:21', 'tcp://host'])('refuses %s with CONFIG_INVALID', (t) => {
    expect(() => parseTarget(t)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe('uniqueInterfaceName', () => {
  it('fits in 15 characters and differs every time', () => {
    const a = uniqueInterfaceName('ccwg');
    const b = uniqueInterfaceName('ccwg');
    expect(a).toMatch(/^ccwg[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
    expect(uniqueInterfaceName('hG12abcda')).toHaveLength(15);
  });

  it('refuses a prefix that leaves no room for the random part', () => {
    expect(() => uniqueInterfaceName('much-too-long')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});
