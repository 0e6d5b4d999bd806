import { describe, expect, it } from 'vitest';
import { ACCESS_TOKEN_KEY, forgetAccessToken, takeAccessToken } from './accessToken.js';

function memoryStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
}

function recordingHistory() {
  const urls: string[] = [];
  return {
    urls,
    replaceState: (_data: unknown, _unused: string, url?: string | URL | null) =>
      void urls.push(String(url)),
  };
}

describe('takeAccessToken', () => {
  it('takes the token from the fragment, keeps it for the tab and removes it from the address bar', () => {
    const storage = memoryStorage();
    const history = recordingHistory();

    const token = takeAccessToken(
      { hash: '#token=abc123XYZ', pathname: '/', search: '?lang=en' },
      history,
      storage,
    );

    expect(token).toBe('abc123XYZ');
    expect(storage.items.get(ACCESS_TOKEN_KEY)).toBe('abc123XYZ');
    expect(history.urls).toEqual(['/?lang=en']);
  });

  it('keeps other fragment parameters when it strips the token', () => {
    const history = recordingHistory();

    takeAccessToken(
      { hash: '#token=t0k&view=logs', pathname: '/app/', search: '' },
      history,
      memoryStorage(),
    );

    expect(history.urls).toEqual(['/app/#view=logs']);
  });

  it('prefers a fresh token in the URL over the one kept from before', () => {
    const storage = memoryStorage({ [ACCESS_TOKEN_KEY]: 'old' });

    const token = takeAccessToken(
      { hash: '#token=new', pathname: '/', search: '' },
      recordingHistory(),
      storage,
    );

    expect(token).toBe('new');
    expect(storage.items.get(ACCESS_TOKEN_KEY)).toBe('new');
  });

  it('falls back to the kept token on a reload without touching the address bar', () => {
    const history = recordingHistory();

    const token = takeAccessToken(
      { hash: '', pathname: '/', search: '' },
      history,
      memoryStorage({ [ACCESS_TOKEN_KEY]: 'kept' }),
    );

    expect(token).toBe('kept');
    expect(history.urls).toEqual([]);
  });

  it('answers null when there is no token anywhere', () => {
    expect(
      takeAccessToken(
        { hash: '#token=', pathname: '/', search: '' },
        recordingHistory(),
        memoryStorage(),
      ),
    ).toBeNull();
  });

  it('forgets a refused token', () => {
    const storage = memoryStorage({ [ACCESS_TOKEN_KEY]: 'refused' });

    forgetAccessToken(storage);

    expect(storage.items.has(ACCESS_TOKEN_KEY)).toBe(false);
  });
});
