import { describe, expect, it } from 'vitest';
import { scriptedStore } from './scriptedDesktopApi.js';

const INSTANCE = 'inst_abcdefghij';
const verification = {
  type: 'CNAME' as const,
  name: 'share.example.com',
  value: `${INSTANCE}.tunnel.connect.test`,
  instructions: 'Add a CNAME record',
};

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
      },
    ]);
  });

  it('says custom domains need a paid plan on Free, next to the domain and with a way to upgrade', async () => {
    const { store, host } = scriptedStore();
    host.answer('addDomain', {
      ok: false,
      code: 'SUBSCRIPTION_REQUIRED',
      message: 'subscription required',
    });

    await store.getState().addDomain(INSTANCE, 'share.example.com');

    const error = store.getState().requests[`addDomain:${INSTANCE}`]?.error;
    expect(error?.message).toMatch(/Pro or Business/);
    expect(error?.action).toEqual({ label: 'See plans', route: { name: 'plans' } });
  });

  it('marks a domain verified and reloads the list for its verified time', async () => {
    const { store, host } = scriptedStore();
    host.answer('addDomain', {
      ok: true,
      value: { domain: 'share.example.com', status: 'pending_verification', verification },
    });
    await store.getState().addDomain(INSTANCE, 'share.example.com');
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
    host.answer('verifyDomain', {
      ok: false,
      code: 'DNS_VERIFICATION_FAILED',
      message: 'share.example.com has no CNAME record',
    });
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

    const error = store.getState().requests[`verifyDomain:${INSTANCE}/share.example.com`]?.error;
    expect(error?.message).toMatch(/CNAME record was not found yet.*has no CNAME record/);
    expect(store.getState().domainsByInstance[INSTANCE]?.[0]?.error).toBe('no CNAME record');
  });

  it('removes a domain', async () => {
    const { store, host } = scriptedStore();
    host.answer('addDomain', {
      ok: true,
      value: { domain: 'share.example.com', status: 'pending_verification', verification },
    });
    await store.getState().addDomain(INSTANCE, 'share.example.com');
    host.answer('removeDomain', { ok: true, value: null });

    await store.getState().removeDomain(INSTANCE, 'share.example.com');

    expect(store.getState().domainsByInstance[INSTANCE]).toEqual([]);
  });
});
