/** Where the web host's access token is kept for this tab (survives reloads, not the tab). */
export const ACCESS_TOKEN_KEY = 'cloud-connect.access-token';

export interface TokenLocation {
  hash: string;
  pathname: string;
  search: string;
}

/**
 * The web host's access token. The host prints a URL carrying it in the fragment
 * (`#token=…`, never sent to a server or written to its logs); the first load takes it from
 * there, keeps it in sessionStorage and removes it from the address bar so it is not
 * bookmarked, shared or left in history. Later loads read it from sessionStorage.
 */
export function takeAccessToken(
  location: TokenLocation,
  history: Pick<History, 'replaceState'>,
  storage: Pick<Storage, 'getItem' | 'setItem'>,
): string | null {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const fromUrl = fragment.get('token')?.trim();
  if (fromUrl) {
    storage.setItem(ACCESS_TOKEN_KEY, fromUrl);
    fragment.delete('token');
    const rest = fragment.toString();
    history.replaceState(
      null,
      '',
      `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`,
    );
    return fromUrl;
  }
  const stored = storage.getItem(ACCESS_TOKEN_KEY);
  return stored ? stored : null;
}

/** Forget a token the host refused, so a fresh link is not shadowed by the old one. */
export function forgetAccessToken(storage: Pick<Storage, 'removeItem'>): void {
  storage.removeItem(ACCESS_TOKEN_KEY);
}
