import {
  ApiError,
  RelayClient,
  memoryTokenStore,
  type TokenPair,
} from '@cloud-connect/agent-core/client';
import {
  createAccount,
  manualClock,
  startTestRelay,
  type TestRelay,
} from '@cloud-connect/relay-server/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** agent-core's typed client against the real relay-server over HTTP. */
let relay: TestRelay;
const clock = manualClock();

beforeEach(async () => {
  clock.set(new Date());
  relay = await startTestRelay({ clock });
});
afterEach(async () => {
  await relay.stop();
});

/** A token store that counts how often new tokens were saved (each save is one refresh). */
function countingStore(initial: TokenPair) {
  const inner = memoryTokenStore(initial);
  let saves = 0;
  return {
    saves: () => saves,
    store: {
      load: inner.load,
      save: async (t: TokenPair | null) => {
        saves += 1;
        await inner.save(t);
      },
    },
  };
}

describe('RelayClient', () => {
  it('refreshes an expired access token once for many concurrent calls, then retries them', async () => {
    const account = await createAccount(relay);
    const tokens = countingStore({
      access_token: account.accessToken,
      refresh_token: account.refreshToken,
    });
    const client = new RelayClient({ baseUrl: relay.url }, tokens.store);
    // The relay's clock moves past the 15-minute access token lifetime.
    clock.advance(16 * 60 * 1000);
    const results = await Promise.all(Array.from({ length: 10 }, () => client.call('getUser', {})));
    for (const r of results) expect(r.email).toBe(account.email);
    // One rotation: a second refresh would have reused the rotated token and revoked the family.
    expect(tokens.saves()).toBe(1);
    const after = await tokens.store.load();
    relay.ledger.add(after?.refresh_token);
    expect(after?.refresh_token).not.toBe(account.refreshToken);
  });

  it('carries the API error code, message and field details', async () => {
    const client = new RelayClient({ baseUrl: relay.url });
    const err = await client
      .call('register', {
        body: {
          name: 'x',
          email: 'not-an-email',
          password: 'short',
          password_confirmation: 'short',
          accept_terms: true,
          accept_privacy: true,
        },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'VALIDATION_ERROR', status: 422 });
    expect((err as ApiError).fields).toMatchObject({
      email: expect.any(String),
      password: 'must be at least 8 characters',
    });
  });

  it('signs out (NOT_SIGNED_IN) when the refresh token is no longer accepted', async () => {
    const account = await createAccount(relay);
    const tokens = memoryTokenStore({
      access_token: account.accessToken,
      refresh_token: account.refreshToken,
    });
    const client = new RelayClient({ baseUrl: relay.url }, tokens);
    clock.advance(8 * 24 * 3600 * 1000); // past the 7-day refresh lifetime too
    const err = await client.call('getUser', {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NOT_SIGNED_IN' });
    expect(await tokens.load()).toBeNull();
  });

  it('reports an unreachable relay as NETWORK_ERROR naming the address', async () => {
    const client = new RelayClient({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 2000 });
    const err = await client.call('health', {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NETWORK_ERROR' });
    expect((err as Error).message).toContain('http://127.0.0.1:9');
  });
});
