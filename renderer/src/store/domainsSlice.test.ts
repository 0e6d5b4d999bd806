import { describe, expect, it } from 'vitest';
import { failure, requestError } from '../testing/answers.js';
import { scriptedStore } from '../testing/scriptedDesktopApi.js';

const INSTANCE = 'inst_abcdefghij';
const verification = {
  type: 'CNAME' as const,
  name: 'share.example.com',
  value: `${INSTANCE}.tunnel.connect.test`,
  instructions: 'Add a CNAME record',
};

/** A store whose instance has just added share.example.com, pending verification. */
async function storeWithPendingDomain() {
  const ctx = scriptedStore();
  ctx.host.answer('addDomain', {
    ok: true,
    value: { domain: 'share.example.com', status: 'pending_verification', verification },
  });
  await ctx.store.getState().addDomain(INSTANCE, 'share.example.com');
  return ctx;
}

describe('domainsSlice', () => {
  it('adds a domain and keeps its CNAME record to show', async () => {
    const { store, host } = scriptedStore();
    host.answer('addDomain', {
      ok: true,
      value: { domain: 'share.example.com', status: 'pending_verification', verification },
    });

    expect(await store.getState().addDomain(INSTANCE, ' Share.Example.com. ')).toBe(true);

    expect(host.callsOf('addDomain')).toEqual([[INSTANCE, 'share.example.com']]);
    expect(store.getState().domainsByInstance[INSTANCE]).toEqual([
      {
        domain: 'share.example.com',
        status: 'pending_verification',
        ssl_status: 'pending',
        verified_at: null,
        verification,
        error: null,
        expires_at: null,
      },
    ]);
  });

  it('says custom domains need a paid plan on Free, next to the domain and with a way to upgrade', async () => {
    const { store, host } = scriptedStore();
    host.answer('addDomain', failure('SUBSCRIPTION_REQUIRED', 'subscription required'));

    await store.getState().addDomain(INSTANCE, 'share.example.com');

    const error = requestError(store, `addDomain:${INSTANCE}`);
    expect(error?.message).toMatch(/Pro or Business/);
    expect(error?.action).toEqual({ label: 'See plans', route: { name: 'plans' } });
  });

  it('marks a domain verified and reloads the list for its verified time', async () => {
    const { store, host } = await storeWithPendingDomain();
    host.answer('verifyDomain', {
      ok: true,
      value: { domain: 'share.example.com', status: 'verified', ssl_status: 'provisioning' },
    });
    host.answer('listDomains', {
      ok: true,
      value: [
        {
          domain: 'share.example.com',
          status: 'verified',
          ssl_status: 'provisioning',
          verified_at: '2025-06-01T12:01:00.000Z',
          verification,
          error: null,
        },
      ],
    });

    expect(await store.getState().verifyDomain(INSTANCE, 'share.example.com')).toBe(true);

    expect(store.getState().domainsByInstance[INSTANCE]?.[0]).toMatchObject({
      status: 'verified',
      ssl_status: 'provisioning',
      verified_at: '2025-06-01T12:01:00.000Z',
    });
    expect(store.getState().flash?.text).toMatch(/verified/);
  });

  it('explains a failed DNS check and shows the reason the relay recorded', async () => {
    const { store, host } = scriptedStore();
    host.answer(
      'verifyDomain',
      failure('DNS_VERIFICATION_FAILED', 'share.example.com has no CNAME record'),
    );
    host.answer('listDomains', {
      ok: true,
      value: [
        {
          domain: 'share.example.com',
          status: 'pending_verification',
          ssl_status: 'pending',
          verified_at: null,
          verification,
          error: 'no CNAME record',
        },
      ],
    });

    expect(await store.getState().verifyDomain(INSTANCE, 'share.example.com')).toBe(false);

    const error = requestError(store, `verifyDomain:${INSTANCE}/share.example.com`);
    expect(error?.message).toMatch(/CNAME record was not found yet.*has no CNAME record/);
    expect(store.getState().domainsByInstance[INSTANCE]?.[0]?.error).toBe('no CNAME record');
  });

  it('removes a domain', async () => {
    const { store, host } = await storeWithPendingDomain();
    host.answer('removeDomain', { ok: true, value: null });

    await store.getState().removeDomain(INSTANCE, 'share.example.com');

    expect(store.getState().domainsByInstance[INSTANCE]).toEqual([]);
  });

  it('keeps when a new claim lapses, and lets a re-added name replace its released entry', async () => {
    const { store, host } = scriptedStore();
    const released = {
      domain: 'share.example.com',
      status: 'released' as const,
      ssl_status: 'pending' as const,
      verified_at: null,
      verification,
      error: 'Released: another account proved by DNS that it controls this domain.',
      expires_at: null,
      released_at: '2030-01-01T12:00:00.000Z',
      release_reason: 'claimed_elsewhere' as const,
    };
    host.answer('listDomains', { ok: true, value: [released] });
    await store.getState().loadDomains(INSTANCE);
    expect(store.getState().domainsByInstance[INSTANCE]).toEqual([released]);

    const expiresAt = '2030-01-04T12:00:00.000Z';
    host.answer('addDomain', {
      ok: true,
      value: {
        domain: 'share.example.com',
        status: 'pending_verification',
        verification,
        expires_at: expiresAt,
      },
    });
    await store.getState().addDomain(INSTANCE, 'share.example.com');
    expect(store.getState().domainsByInstance[INSTANCE]).toEqual([
      expect.objectContaining({ status: 'pending_verification', expires_at: expiresAt }),
    ]);
  });

  it('dismisses a released entry without saying a domain was removed', async () => {
    const { store, host } = scriptedStore();
    host.answer('listDomains', {
      ok: true,
      value: [
        {
          domain: 'gone.example.com',
          status: 'released',
          ssl_status: 'pending',
          verified_at: null,
          verification,
          error: 'Released: its CNAME did not point here before the claim expired.',
          expires_at: null,
          released_at: '2030-01-01T12:00:00.000Z',
          release_reason: 'expired',
        },
      ],
    });
    await store.getState().loadDomains(INSTANCE);
    host.answer('removeDomain', { ok: true, value: null });

    expect(await store.getState().removeDomain(INSTANCE, 'gone.example.com')).toBe(true);

    expect(host.callsOf('removeDomain')).toEqual([[INSTANCE, 'gone.example.com']]);
    expect(store.getState().domainsByInstance[INSTANCE]).toEqual([]);
    expect(store.getState().flash).toBeNull();
  });
});
