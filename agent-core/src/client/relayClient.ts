import { endpoints, type EndpointName, type ResponseOf } from '../api/index.js';
import { ApiError } from './apiError.js';
import { callEndpoint, type CallInput, type TransportOptions } from './transport.js';
import { jwtPayload } from './jwtPayload.js';

export interface TokenPair {
  access_token: string;
  refresh_token: string;
}

/** Where the signed-in user's tokens live (the Manager keeps them in the SecretStore). */
export interface TokenStore {
  load(): Promise<TokenPair | null>;
  save(tokens: TokenPair | null): Promise<void>;
}

/** Tokens in memory only (CLI one-shots, tests). */
export function memoryTokenStore(initial: TokenPair | null = null): TokenStore {
  let tokens = initial;
  return {
    load: async () => tokens,
    save: async (t) => {
      tokens = t;
    },
  };
}

/** Endpoints a user (or anyone) calls for JSON: not the instance or Stripe ones, not the HTML pages. */
type UserEndpoint = {
  [N in EndpointName]: (typeof endpoints)[N] extends { auth: 'user' | 'none' }
    ? (typeof endpoints)[N] extends { html: true }
      ? never
      : N
    : never;
}[EndpointName];

/** Seconds left before a JWT's `exp`, read without verifying (the server verifies). */
function secondsLeft(jwt: string): number {
  const payload = jwtPayload(jwt);
  if (!payload) return 0;
  return typeof payload.exp === 'number' && payload.exp
    ? payload.exp - Date.now() / 1000
    : Infinity;
}

/**
 * The Cloud API for a user (dashboard side), typed from the contract. Access tokens refresh
 * automatically and single-flight: concurrent calls that find the token expired share one
 * refresh, and a 401 is retried once after a refresh.
 */
export class RelayClient {
  private refreshing: Promise<TokenPair> | null = null;

  constructor(
    private readonly transport: TransportOptions,
    private readonly tokens: TokenStore = memoryTokenStore(),
  ) {}

  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  /** Call any user-side endpoint by name. */
  async call<N extends UserEndpoint>(name: N, input: CallInput<N>): Promise<ResponseOf<N>> {
    if (endpoints[name].auth === 'none') return callEndpoint(this.transport, name, input, null);
    let pair = await this.tokens.load();
    if (!pair) throw new ApiError('NOT_SIGNED_IN', 'Sign in first', 401);
    if (secondsLeft(pair.access_token) < 30) pair = await this.refresh();
    try {
      return await callEndpoint(this.transport, name, input, pair.access_token);
    } catch (e) {
      if (!(e instanceof ApiError) || e.code !== 'UNAUTHORIZED') throw e;
      // Another call may have refreshed while this one was in flight: use its token rather
      // than rotating again (a second rotation of the same session is wasted work).
      const current = await this.tokens.load();
      const fresh =
        current && current.access_token !== pair.access_token ? current : await this.refresh();
      return callEndpoint(this.transport, name, input, fresh.access_token);
    }
  }

  /** Rotate the refresh token; one refresh at a time however many callers ask. */
  refresh(): Promise<TokenPair> {
    this.refreshing ??= (async () => {
      try {
        const pair = await this.tokens.load();
        if (!pair) throw new ApiError('NOT_SIGNED_IN', 'Sign in first', 401);
        try {
          const res = await callEndpoint(
            this.transport,
            'refresh',
            { body: { refresh_token: pair.refresh_token } },
            null,
          );
          const next = { access_token: res.access_token, refresh_token: res.refresh_token };
          await this.tokens.save(next);
          return next;
        } catch (e) {
          if (e instanceof ApiError && e.code === 'UNAUTHORIZED') {
            await this.tokens.save(null);
            throw new ApiError('NOT_SIGNED_IN', 'Your session ended; sign in again', 401);
          }
          throw e;
        }
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** Sign in and keep the tokens. */
  async login(email: string, password: string): Promise<ResponseOf<'login'>> {
    const res = await callEndpoint(this.transport, 'login', { body: { email, password } }, null);
    await this.tokens.save({ access_token: res.access_token, refresh_token: res.refresh_token });
    return res;
  }

  /** Forget the tokens (the refresh token simply expires server-side). */
  async logout(): Promise<void> {
    await this.tokens.save(null);
  }

  async isSignedIn(): Promise<boolean> {
    return (await this.tokens.load()) !== null;
  }
}
