import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { subdomainProblem } from './instancesSlice.js';
import { failure, requestError } from '../testing/answers.js';
import { scriptedStore, settle } from '../testing/scriptedDesktopApi.js';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

const created = {
  instance: {
    id: 'inst_abcdefghij',
    name: 'Files',
    subdomain: 'files',
    full_domain: 'files.connect.test',
    status: 'pending' as const,
    tunnel_ip: '10.100.0.2',
    created_at: '2025-06-01T12:00:00.000Z',
  },
  instance_token: 'eyJhbGciOiJIUzI1NiJ9.instance-token-value.sig',
};

describe('instancesSlice', () => {
  it('checks the subdomain once typing pauses, with only the last value', async () => {
    const { store, host } = scriptedStore();
    host.answer('checkSubdomain', { ok: true, value: { subdomain: 'files', available: true } });

    for (const value of ['fil', 'file', 'files']) store.getState().requestSubdomainCheck(value);
    expect(store.getState().subdomainCheck).toEqual({ state: 'checking', subdomain: 'files' });
    await vi.advanceTimersByTimeAsync(299);
    expect(host.callsOf('checkSubdomain')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await settle();

    expect(host.callsOf('checkSubdomain')).toEqual([['files']]);
    expect(store.getState().subdomainCheck).toEqual({ state: 'available', subdomain: 'files' });
  });

  it('shows a taken subdomain with the relay’s suggestions, and a reserved one as reserved', async () => {
    const { store, host } = scriptedStore();
    host.handle('checkSubdomain', (subdomain) =>
      Promise.resolve({
        ok: true,
        value:
          subdomain === 'admin'
            ? { subdomain, available: false, reason: 'reserved' }
            : {
                subdomain,
                available: false,
                reason: 'taken',
                suggestions: ['myfiles1', 'myfiles-app'],
              },
      }),
    );

    for (const [typed, shown] of [
      [
        'MyFiles',
        { state: 'taken', subdomain: 'myfiles', suggestions: ['myfiles1', 'myfiles-app'] },
      ],
      ['admin', { state: 'reserved', subdomain: 'admin', suggestions: [] }],
    ] as const) {
      store.getState().requestSubdomainCheck(typed);
      await vi.advanceTimersByTimeAsync(300);
      expect(store.getState().subdomainCheck).toEqual(shown);
    }
  });

  it('says what is wrong with a malformed subdomain without asking the relay', async () => {
    const { store, host } = scriptedStore();

    store.getState().requestSubdomainCheck('-bad');
    await vi.advanceTimersByTimeAsync(1000);
    store.getState().requestSubdomainCheck('ab');

    expect(host.callsOf('checkSubdomain')).toHaveLength(0);
    expect(store.getState().subdomainCheck).toEqual({
      state: 'invalid',
      subdomain: 'ab',
      message: 'Use at least 3 characters.',
    });
  });

  it('drops an answer that arrives after the user typed something else', async () => {
    const { store, host } = scriptedStore();
    const pending: Array<() => void> = [];
    host.handle(
      'checkSubdomain',
      (subdomain) =>
        new Promise((resolve) =>
          pending.push(() =>
            resolve({ ok: true, value: { subdomain, available: subdomain === 'second' } }),
          ),
        ),
    );

    store.getState().requestSubdomainCheck('first');
    await vi.advanceTimersByTimeAsync(300);
    store.getState().requestSubdomainCheck('second');
    await vi.advanceTimersByTimeAsync(300);
    pending[1]?.();
    await settle();
    pending[0]?.();
    await settle();

    expect(store.getState().subdomainCheck).toEqual({ state: 'available', subdomain: 'second' });
  });

  it('creates an instance and reveals its token once', async () => {
    const { store, host } = scriptedStore();
    host.answer('createInstance', { ok: true, value: created });

    expect(await store.getState().createInstance({ name: ' Files ', subdomain: 'Files' })).toBe(
      true,
    );

    expect(host.callsOf('createInstance')).toEqual([[{ name: 'Files', subdomain: 'files' }]]);
    expect(store.getState().instances.map((i) => i.id)).toEqual(['inst_abcdefghij']);
    expect(store.getState().revealedToken).toEqual({
      instanceId: 'inst_abcdefghij',
      instanceName: 'Files',
      token: created.instance_token,
      reason: 'created',
    });
    store.getState().dismissRevealedToken();
    expect(store.getState().revealedToken).toBeNull();
  });

  it('marks the subdomain taken and fetches suggestions when creation loses a race', async () => {
    const { store, host } = scriptedStore();
    host.answer('createInstance', failure('SUBDOMAIN_TAKEN', 'taken'));
    host.answer('checkSubdomain', {
      ok: true,
      value: { subdomain: 'files', available: false, reason: 'taken', suggestions: ['files2'] },
    });

    expect(await store.getState().createInstance({ name: 'Files', subdomain: 'files' })).toBe(
      false,
    );

    expect(requestError(store, 'createInstance')?.fields.subdomain).toMatch(/taken/i);
    expect(store.getState().subdomainCheck).toEqual({
      state: 'taken',
      subdomain: 'files',
      suggestions: ['files2'],
    });
    expect(store.getState().revealedToken).toBeNull();
  });

  it('explains the email must be verified and the plan limit, with a way forward', async () => {
    const { store, host } = scriptedStore();
    host.answer('createInstance', failure('EMAIL_NOT_VERIFIED', 'verify'));
    await store.getState().createInstance({ name: 'Files', subdomain: 'files' });
    expect(requestError(store, 'createInstance')?.action?.route).toEqual({ name: 'verifyEmail' });

    host.answer('createInstance', failure('LIMIT_EXCEEDED', 'Free allows 1 instance'));
    await store.getState().createInstance({ name: 'Files', subdomain: 'files' });
    const error = requestError(store, 'createInstance');
    expect(error?.message).toMatch(/limit of your plan.*Free allows 1 instance/);
    expect(error?.action?.route).toEqual({ name: 'plans' });
  });

  it('asks for a name and a subdomain before sending anything', async () => {
    const { store, host } = scriptedStore();

    await store.getState().createInstance({ name: ' ', subdomain: '' });

    expect(host.callsOf('createInstance')).toHaveLength(0);
    expect(requestError(store, 'createInstance')?.fields).toEqual({
      name: 'Give the instance a name.',
      subdomain: 'Choose a subdomain.',
    });
  });

  it('renames, regenerates the token of, and deletes an instance', async () => {
    const { store, host } = scriptedStore();
    host.answer('createInstance', { ok: true, value: created });
    await store.getState().createInstance({ name: 'Files', subdomain: 'files' });
    host.answer('updateInstance', {
      ok: true,
      value: {
        id: created.instance.id,
        name: 'Photos',
        subdomain: 'files',
        full_domain: 'files.connect.test',
      },
    });
    host.answer('regenerateInstanceToken', {
      ok: true,
      value: { instance_token: 'new-token-value-0123456789' },
    });
    host.answer('deleteInstance', { ok: true, value: null });

    await store.getState().renameInstance(created.instance.id, 'Photos');
    expect(store.getState().instances[0]?.name).toBe('Photos');

    await store.getState().regenerateInstanceToken(created.instance.id);
    expect(store.getState().revealedToken).toMatchObject({
      token: 'new-token-value-0123456789',
      reason: 'regenerated',
    });

    await store.getState().deleteInstance(created.instance.id);
    expect(store.getState().instances).toEqual([]);
    expect(host.callsOf('deleteInstance')).toEqual([[created.instance.id]]);
  });
});

describe('subdomainProblem', () => {
  it('refuses hyphens in the 3rd and 4th places (xn--…) before asking the relay', () => {
    expect(subdomainProblem('xn--80ak6aa92e')).toMatch(/3rd and 4th/);
    expect(subdomainProblem('ab--cd')).toMatch(/3rd and 4th/);
    expect(subdomainProblem('a-b--c')).toBeNull();
  });
});
