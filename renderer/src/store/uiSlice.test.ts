import { describe, expect, it } from 'vitest';
import { scriptedStore } from '../testing/scriptedDesktopApi.js';
import { THEME_KEY } from './uiSlice.js';

describe('uiSlice', () => {
  it('follows the system theme until the user picks one, and remembers the pick', () => {
    const first = scriptedStore();
    expect(first.store.getState().theme).toBe('system');

    first.store.getState().setTheme('dark');

    expect(first.preferences.get(THEME_KEY)).toBe('dark');
    const { store } = scriptedStore({
      preferences: { getItem: (key) => first.preferences.get(key) ?? null, setItem: () => {} },
    });
    expect(store.getState().theme).toBe('dark');
  });

  it('clears the previous screen’s message on navigation', () => {
    const { store } = scriptedStore();
    store.getState().showFlash('success', 'Saved.');

    store.getState().navigate({ name: 'logs' });

    expect(store.getState().flash).toBeNull();
    expect(store.getState().route).toEqual({ name: 'logs' });
  });

  it('turns launch at login on through the host and shows the host’s answer', async () => {
    const { store, host } = scriptedStore();
    host.answer('setLaunchAtLogin', {
      ok: true,
      value: { version: '0.1.0', host: 'electron', platform: 'linux', launchAtLogin: true },
    });

    await store.getState().setLaunchAtLogin(true);

    expect(host.callsOf('setLaunchAtLogin')).toEqual([[true]]);
    expect(store.getState().appInfo?.launchAtLogin).toBe(true);
  });

  it('asks the bridge to reconnect now', () => {
    const { store, link } = scriptedStore();

    store.getState().reconnectBridge();

    expect(link.reconnects).toBe(1);
  });

  it('turns a host that throws into a shown error instead of an unhandled rejection', async () => {
    const { store, host } = scriptedStore();
    host.handle('listInstances', () => Promise.reject(new Error('boom')));

    await store.getState().loadInstances();

    expect(store.getState().requests.loadInstances).toEqual({
      pending: false,
      error: expect.objectContaining({ code: 'INTERNAL' }),
    });
  });
});
