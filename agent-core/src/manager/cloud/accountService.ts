import type { RegisterRequest } from '../../api/index.js';
import { ApiError } from '../../client/apiError.js';
import type { RelayClient } from '../../client/relayClient.js';
import type { Result, SessionUser, SessionView, Unsubscribe } from '../../desktop/desktopApi.js';
import { checkedSettings, type SettingsStore } from '../../settings/settingsStore.js';
import type { LogBook } from '../logBook.js';
import type { RunOperation } from '../operation.js';
import type { RelayClientFactory } from '../relayClients.js';

/** A token from the whole verification link, or the token itself. */
function tokenFromLink(value: string): string {
  const trimmed = value.trim();
  try {
    const url = new URL(trimmed);
    return url.searchParams.get('token') ?? trimmed;
  } catch {
    return trimmed;
  }
}

/**
 * Save `url` as the relay unless it is the saved one already; the saved session belongs to the
 * old relay, so it is forgotten first. A URL the settings refuse changes nothing; a session that
 * cannot be forgotten (keychain locked) leaves the old relay saved, so its tokens are never sent
 * to the new one. Answers the URL switched to, or null when nothing changed.
 */
export async function switchRelay(
  settings: SettingsStore,
  forgetSession: () => Promise<void>,
  url: string,
): Promise<string | null> {
  const normalized = url.replace(/\/+$/, '');
  if (normalized === settings.getRelayUrl()) return null;
  checkedSettings({ ...settings.read(), relayUrl: normalized });
  await forgetSession();
  await settings.setRelayUrl(normalized);
  return normalized;
}

/** What the services over the Cloud API need of the account: its client and its session. */
export interface UserCalls {
  /**
   * Run `fn` with the current relay's client as the signed-in user; a session the relay ended
   * (NOT_SIGNED_IN) signs out here too, and listeners hear of it.
   */
  call<T>(fn: (client: RelayClient) => Promise<T>): Promise<Result<T>>;
  /** Keep the session's copy of the user's plan in step with what billing just read. */
  notePlan(
    plan: SessionUser['subscription_plan'],
    status: SessionUser['subscription_status'],
  ): void;
}

export interface AccountServiceDeps {
  settings: SettingsStore;
  clients: RelayClientFactory;
  logs: LogBook;
  run: RunOperation;
}

/**
 * The account session at the saved relay: sign-up, verification, sign-in and out, password
 * reset, profile, and switching relay. Tokens live where the client factory keeps them (the
 * SecretStore); this service keeps who is signed in and tells listeners when that changes.
 */
export class AccountService implements UserCalls {
  private client: RelayClient;
  private user: SessionUser | null = null;
  private readonly listeners = new Set<(s: SessionView) => void>();

  constructor(private readonly deps: AccountServiceDeps) {
    this.client = deps.clients.user(deps.settings.getRelayUrl());
  }

  private view(): SessionView {
    return { signedIn: this.user !== null, relayUrl: this.client.baseUrl, user: this.user };
  }

  private emit(): void {
    const view = this.view();
    for (const l of this.listeners) l(view);
  }

  /** Sessions end server-side (refresh revoked): forget the tokens and say so. */
  private async sessionEnded(e: unknown): Promise<never> {
    if (e instanceof ApiError && e.code === 'NOT_SIGNED_IN' && this.user) {
      this.user = null;
      this.emit();
    }
    throw e;
  }

  call<T>(fn: (client: RelayClient) => Promise<T>): Promise<Result<T>> {
    return this.deps.run(() => fn(this.client).catch((e: unknown) => this.sessionEnded(e)));
  }

  notePlan(plan: SessionUser['subscription_plan'], status: SessionUser['subscription_status']) {
    if (!this.user) return;
    if (this.user.subscription_plan === plan && this.user.subscription_status === status) return;
    this.user = { ...this.user, subscription_plan: plan, subscription_status: status };
    this.emit();
  }

  onSession(listener: (session: SessionView) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  getSession(): Promise<Result<SessionView>> {
    return this.deps.run(() => this.readSession());
  }

  private async readSession(): Promise<SessionView> {
    if (!(await this.client.isSignedIn())) {
      this.user = null;
      return this.view();
    }
    try {
      const profile = await this.client.call('getUser', {});
      this.user = {
        id: profile.id,
        email: profile.email,
        name: profile.name,
        email_verified: profile.email_verified,
        subscription_status: profile.subscription_status,
        subscription_plan: profile.subscription_plan,
      };
    } catch (e) {
      if (e instanceof ApiError && e.code === 'NOT_SIGNED_IN') this.user = null;
      else if (!this.user) throw e;
    }
    return this.view();
  }

  setRelayUrl(url: string): Promise<Result<SessionView>> {
    return this.deps.run(async () => {
      const switched = await switchRelay(this.deps.settings, () => this.client.logout(), url);
      if (!switched) return this.view();
      this.user = null;
      this.client = this.deps.clients.user(switched);
      this.deps.logs.add('info', `Relay set to ${switched}`);
      this.emit();
      return this.view();
    });
  }

  signUp(input: RegisterRequest): Promise<Result<{ email: string; message: string }>> {
    return this.deps.run(async () => {
      const res = await this.client.call('register', { body: input });
      return { email: res.user.email, message: res.message };
    });
  }

  verifyEmail(tokenOrLink: string): Promise<Result<{ message: string }>> {
    return this.deps.run(async () => {
      const res = await this.client.call('verifyEmail', {
        body: { token: tokenFromLink(tokenOrLink) },
      });
      // A failed refresh of the profile is its own answer; the verification still succeeded.
      if (this.user) await this.getSession();
      this.emit();
      return { message: res.message };
    });
  }

  resendVerification(email: string): Promise<Result<{ message: string }>> {
    return this.deps.run(() => this.client.call('resendVerification', { body: { email } }));
  }

  signIn(email: string, password: string): Promise<Result<SessionView>> {
    return this.deps.run(async () => {
      const res = await this.client.login(email, password);
      this.user = res.user;
      this.deps.logs.add('info', `Signed in as ${res.user.email}`);
      this.emit();
      return this.view();
    });
  }

  signOut(): Promise<Result<SessionView>> {
    return this.deps.run(async () => {
      await this.client.logout();
      this.user = null;
      this.deps.logs.add('info', 'Signed out');
      this.emit();
      return this.view();
    });
  }

  forgotPassword(email: string): Promise<Result<{ message: string }>> {
    return this.deps.run(() => this.client.call('forgotPassword', { body: { email } }));
  }

  resetPassword(input: {
    token: string;
    password: string;
    password_confirmation: string;
  }): Promise<Result<{ message: string }>> {
    return this.deps.run(() =>
      this.client.call('resetPassword', { body: { ...input, token: tokenFromLink(input.token) } }),
    );
  }

  updateProfile(input: { name: string }): Promise<Result<SessionView>> {
    return this.call(async (client) => {
      const res = await client.call('updateUser', { body: input });
      if (this.user) this.user = { ...this.user, name: res.name };
      this.emit();
      return this.view();
    });
  }
}
