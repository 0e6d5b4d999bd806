import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  builtinEdgeEnv,
  builtinEdgeUrl,
  createAccount,
  createInstance,
  startTestRelay,
  type TestRelay,
} from '@cloud-connect/relay-server/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { manualClock } from '../../testing/manualClock.js';
import { waitForEvent } from '../../testing/eventWaiter.js';
import { StreamDriver } from './streamDriver.js';

// The driver against the real relay's end of the stream transport (relay-server's
// streamTransport): its token check, its session registry and its HTTP/2 client.

describe('StreamDriver against the real relay', () => {
  let relay: TestRelay;
  let app: http.Server;
  let appPort: number;
  const drivers: StreamDriver[] = [];
  beforeEach(async () => {
    relay = await startTestRelay({ env: builtinEdgeEnv('127.91.0.0/24') });
    app = http.createServer((req, res) => res.end(`app saw ${req.url} for ${req.headers.host}`));
    app.listen(0, '127.0.0.1');
    await once(app, 'listening');
    appPort = (app.address() as AddressInfo).port;
  });
  afterEach(async () => {
    for (const d of drivers.splice(0)) await d.stop();
    app.closeAllConnections();
    await new Promise((resolve) => app.close(resolve));
    await relay.stop();
  });

  async function connected(subdomain: string) {
    const account = await createAccount(relay);
    const created = await createInstance(relay, account, subdomain);
    const clock = manualClock();
    const driver = new StreamDriver({
      relayUrl: relay.url,
      token: created.credentials.instance_token,
      target: `http://127.0.0.1:${appPort}`,
      proxy: null,
      clock,
      timers: clock,
      random: () => 0,
    });
    drivers.push(driver);
    await driver.start();
    const id = created.instance.id;
    await vi.waitFor(() => expect(relay.relay.streams.count(id)).toBe(2), { interval: 10 });
    return { account, created, clock, driver, id };
  }

  it('registers two sessions and answers the streams the relay opens from the app', async () => {
    const { created, id } = await connected('streamreal');
    const host = created.instance.full_domain;
    const stream = relay.relay.streams.open(id, {
      ':method': 'GET',
      ':scheme': 'https',
      ':authority': host,
      ':path': '/hello',
    });
    if (!stream) throw new Error('no live session');
    const [headers] = (await once(stream, 'response')) as [Record<string, unknown>];
    let body = '';
    for await (const chunk of stream) body += String(chunk);
    expect(headers[':status']).toBe(200);
    expect(body).toBe(`app saw /hello for ${host}`);
  });

  it("carries a visitor's request from the built-in edge to the app, body and Host included", async () => {
    const { created } = await connected('streamedge');
    const host = created.instance.full_domain;
    const edge = new URL(builtinEdgeUrl(relay));
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        { host: edge.hostname, port: edge.port, path: '/from-edge', headers: { host } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(answer).toEqual({ status: 200, body: `app saw /from-edge for ${host}` });
  });

  it('exits with TOKEN_REVOKED once the token is regenerated, and does not dial again', async () => {
    const { account, clock, driver, id } = await connected('streamrevoke');
    const exit = waitForEvent(driver.events, 'exit');
    const res = await relay.api.post(`/instances/${id}/regenerate-token`, undefined, {
      token: account.accessToken,
    });
    expect(res.status).toBe(200);
    // The relay closes the sessions at once; the driver redials after its first backoff step
    // and the relay refuses the old token.
    await clock.whenScheduled((ms) => ms === 1_000);
    await clock.tick(1_000);
    const [error] = await exit;
    expect(error.code).toBe('TOKEN_REVOKED');
    expect(relay.relay.streams.count(id)).toBe(0);
    clock.advance(60 * 60 * 1000);
    expect(clock.pendingTimers()).toBe(0);
    expect((await driver.status()).running).toBe(false);
  });
});
