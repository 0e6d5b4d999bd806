import type { SessionView } from '@cloud-connect/agent-core/desktop';
import { localValidationError } from './friendlyError.js';
import { failRequest, track } from './requests.js';
import { isAuthScreen, needsAccount } from './route.js';
import type { AppState, GetState, SetState, SliceCreator } from './storeTypes.js';

export interface ResetPasswordDraft {
  /** The code from the email, or the whole reset link. */
  tokenOrLink: string;
  password: string;
  password_confirmation: string;
}

/** The sign-up form: the consent boxes are plain booleans until checked here. */
export interface SignUpDraft {
  name: string;
  email: string;
  password: string;
  password_confirmation: string;
  accept_terms: boolean;
  accept_privacy: boolean;
  accept_marketing: boolean;
}

export interface SessionSlice {
  /** null until the host has answered once. */
  session: SessionView | null;
  /** The address to verify: set after sign-up, or when sign-in says it is not verified yet. */
  pendingEmail: string | null;
  loadSession(): Promise<void>;
  /** Takes a session from a result or an `onSession` event and moves between signed-in and out. */
  applySession(session: SessionView): void;
  signUp(draft: SignUpDraft): Promise<boolean>;
  signIn(email: string, password: string): Promise<boolean>;
  signOut(): Promise<boolean>;
  verifyEmail(tokenOrLink: string): Promise<boolean>;
  /** One click on a local relay: the host opens its outbox and verifies with the newest link. */
  verifyEmailLocally(email: string): Promise<boolean>;
  resendVerification(email: string): Promise<boolean>;
  forgotPassword(email: string): Promise<boolean>;
  resetPassword(draft: ResetPasswordDraft): Promise<boolean>;
  updateProfile(name: string): Promise<boolean>;
  setRelayUrl(url: string): Promise<boolean>;
}

/**
 * The reset code from what the user pasted: the code itself, or a link carrying it as
 * `?token=` (or `#token=`).
 */
export function tokenFromLink(tokenOrLink: string): string {
  const text = tokenOrLink.trim();
  if (!/^https?:\/\//i.test(text)) return text;
  try {
    const url = new URL(text);
    const token =
      url.searchParams.get('token') ?? new URLSearchParams(url.hash.slice(1)).get('token');
    return token?.trim() || text;
  } catch {
    return text;
  }
}

/**
 * Whether the verify screen offers one-click verification: the host knows a local relay (the
 * one `npm start` launched) and the app uses it now.
 */
export function offersLocalVerification(state: AppState): boolean {
  const local = state.appInfo?.localRelayUrl ?? null;
  return local !== null && state.session?.relayUrl === local;
}

/** After a verification, by link or by one click: on to the app, or to sign in. */
async function afterVerification(set: SetState, get: GetState): Promise<void> {
  set({ pendingEmail: null });
  if (get().session?.signedIn) {
    await get().loadSession();
    get().navigate({ name: 'instances' });
    get().showFlash('success', 'Email verified. You can now create instances.');
  } else {
    get().navigate({ name: 'signIn' });
    get().showFlash('success', 'Email verified. Sign in to continue.');
  }
}

export const createSessionSlice: SliceCreator<SessionSlice> = (set, get, deps) => ({
  session: null,
  pendingEmail: null,

  loadSession: async () => {
    const result = await deps.api.getSession();
    if (result.ok) get().applySession(result.value);
  },

  applySession: (next) => {
    const previous = get().session;
    set({ session: next });
    const wasIn = previous?.signedIn ?? false;
    if (next.signedIn && !wasIn) {
      if (isAuthScreen(get().route)) get().navigate({ name: 'connections' });
      void get().loadAccountData();
    } else if (!next.signedIn && (wasIn || previous === null)) {
      if (wasIn) get().clearAccountData();
      if (needsAccount(get().route)) get().navigate({ name: 'signIn' });
    }
  },

  signUp: async (draft) => {
    const fields: Record<string, string> = {};
    if (!draft.name.trim()) fields.name = 'Enter your name.';
    if (!draft.email.trim()) fields.email = 'Enter your email address.';
    if (draft.password.length < 8) fields.password = 'Use at least 8 characters.';
    if (!draft.accept_terms) fields.accept_terms = 'Please accept the terms to continue.';
    if (!draft.accept_privacy)
      fields.accept_privacy = 'Please accept the privacy policy to continue.';
    if (draft.password !== draft.password_confirmation)
      fields.password_confirmation = 'Does not match the password.';
    if (Object.keys(fields).length > 0) {
      failRequest(set, 'signUp', localValidationError(fields));
      return false;
    }
    const input = { ...draft, accept_terms: true, accept_privacy: true } as const;
    const result = await track(set, 'signUp', () => deps.api.signUp(input));
    if (!result.ok) return false;
    set({ pendingEmail: result.value.email });
    get().navigate({ name: 'verifyEmail' });
    // The same words whether or not the address already had an account: the relay does not
    // say, and the mail tells its owner what to do.
    get().showFlash(
      'success',
      `Check your mail. We sent a message to ${result.value.email}: a link to verify the address, or, if it already has an account, how to sign in.`,
    );
    return true;
  },

  signIn: async (email, password) => {
    const result = await track(set, 'signIn', () => deps.api.signIn(email, password));
    if (result.ok) {
      get().applySession(result.value);
      return true;
    }
    if (result.code === 'EMAIL_NOT_VERIFIED') set({ pendingEmail: email.trim() });
    return false;
  },

  signOut: async () => {
    const result = await track(set, 'signOut', () => deps.api.signOut());
    if (result.ok) get().applySession(result.value);
    return result.ok;
  },

  verifyEmail: async (tokenOrLink) => {
    if (!tokenOrLink.trim()) {
      failRequest(
        set,
        'verifyEmail',
        localValidationError({ token: 'Paste the link or code from the email.' }),
      );
      return false;
    }
    const result = await track(set, 'verifyEmail', () => deps.api.verifyEmail(tokenOrLink.trim()));
    if (!result.ok) return false;
    await afterVerification(set, get);
    return true;
  },

  verifyEmailLocally: async (email) => {
    const result = await track(set, 'verifyEmailLocally', () =>
      deps.api.verifyEmailLocally(email.trim()),
    );
    if (!result.ok) return false;
    await afterVerification(set, get);
    return true;
  },

  resendVerification: async (email) => {
    const result = await track(set, 'resendVerification', () =>
      deps.api.resendVerification(email.trim()),
    );
    if (result.ok)
      get().showFlash('info', `If ${email.trim()} needs verifying, a new link is on its way.`);
    return result.ok;
  },

  forgotPassword: async (email) => {
    const result = await track(set, 'forgotPassword', () => deps.api.forgotPassword(email.trim()));
    if (!result.ok) return false;
    get().navigate({ name: 'resetPassword' });
    get().showFlash(
      'info',
      'If an account exists for that email, a reset link is on its way. It works for one hour.',
    );
    return true;
  },

  resetPassword: async (draft) => {
    const token = tokenFromLink(draft.tokenOrLink);
    if (!token) {
      failRequest(
        set,
        'resetPassword',
        localValidationError({ token: 'Paste the link or code from the email.' }),
      );
      return false;
    }
    const result = await track(set, 'resetPassword', () =>
      deps.api.resetPassword({
        token,
        password: draft.password,
        password_confirmation: draft.password_confirmation,
      }),
    );
    if (!result.ok) return false;
    get().navigate({ name: 'signIn' });
    get().showFlash('success', 'Password changed. Sign in with your new password.');
    return true;
  },

  updateProfile: async (name) => {
    const result = await track(set, 'updateProfile', () => deps.api.updateProfile({ name }));
    if (!result.ok) return false;
    get().applySession(result.value);
    get().showFlash('success', 'Name saved.');
    return true;
  },

  setRelayUrl: async (url) => {
    const result = await track(set, 'setRelayUrl', () => deps.api.setRelayUrl(url.trim()));
    if (!result.ok) return false;
    get().applySession(result.value);
    get().showFlash('success', `Relay server set to ${result.value.relayUrl}.`);
    return true;
  },
});
