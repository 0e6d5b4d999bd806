import type { Failure, FailureCode } from '@cloud-connect/agent-core/desktop';
import type { Route } from './route.js';

/** A failed DesktopApi Result, as the host sends it. */
export type { Failure } from '@cloud-connect/agent-core/desktop';

/** An error put in words a user understands, with the inputs it concerns and a way forward. */
export interface FriendlyError {
  code: FailureCode;
  /** What happened and what to do, in plain words. */
  message: string;
  /** Per-input messages, keyed by the input's field name (`email`, `subdomain`, `token`…). */
  fields: Record<string, string>;
  /** A screen that helps, e.g. the plans for LIMIT_EXCEEDED. */
  action?: { label: string; route: Route };
}

interface Wording {
  message: string;
  /** The input a code is about when the host names none. */
  field?: [name: string, message: string];
  action?: FriendlyError['action'];
  /** Append the host's own message (it carries the specifics, e.g. which limit). */
  withDetail?: boolean;
  /**
   * The host's own message is the wording, `message` only stands in when there is none: tunnel
   * drivers name the cause (which endpoint, which app, which port) better than any generic line.
   */
  detailFirst?: boolean;
}

const PLANS = { label: 'See plans', route: { name: 'plans' } } as const;
const SIGN_IN = { label: 'Go to sign in', route: { name: 'signIn' } } as const;
const SETTINGS = { label: 'Open settings', route: { name: 'settings' } } as const;
const VERIFY = { label: 'Verify email', route: { name: 'verifyEmail' } } as const;

/**
 * Wording per code: every FailureCode (API and client codes, TunnelError, SecretError and
 * SettingsError codes, the Manager's, the hosts' and the bridge's). `satisfies` makes a code
 * added to FailureCode fail the build until it has words here.
 */
export const WORDING = {
  NETWORK_ERROR: {
    message:
      'Cloud Connect cannot reach the relay server. Check your internet connection and the relay address in Settings, then try again.',
    action: SETTINGS,
  },
  TIMEOUT: { message: 'That took too long. Try again in a moment.' },
  INVALID_RESPONSE: {
    message:
      'The relay server sent an answer Cloud Connect cannot read. Check the relay address in Settings.',
    action: SETTINGS,
  },
  NOT_SIGNED_IN: { message: 'Please sign in first.', action: SIGN_IN },
  UNAUTHORIZED: { message: 'Your session has expired. Please sign in again.', action: SIGN_IN },
  FORBIDDEN: { message: 'Your account is not allowed to do that.' },
  NOT_FOUND: { message: 'That item no longer exists. It may have been removed elsewhere.' },
  SUBDOMAIN_TAKEN: {
    message: 'That subdomain is already taken. Pick a suggestion or try another name.',
    field: ['subdomain', 'Already taken. Try another name.'],
  },
  DOMAIN_ALREADY_EXISTS: {
    // The relay's message names the CNAME target that would take the name over.
    message: 'That domain is already connected to Cloud Connect, by you or by another account.',
    field: ['domain', 'Already added to Cloud Connect.'],
    detailFirst: true,
  },
  SUBSCRIPTION_REQUIRED: {
    message: 'Custom domains need a Pro or Business plan. Upgrade to add one.',
    action: PLANS,
  },
  LIMIT_EXCEEDED: {
    message: 'You have reached the limit of your plan. Upgrade to add more.',
    action: PLANS,
    withDetail: true,
  },
  VALIDATION_ERROR: { message: 'Some details need correcting. See the marked fields.' },
  DNS_VERIFICATION_FAILED: {
    message:
      'The CNAME record was not found yet. Check it at your DNS provider; new records can take a few minutes (sometimes hours) to appear. Then press Verify again.',
    withDetail: true,
  },
  RATE_LIMITED: { message: 'Too many attempts. Wait a minute, then try again.' },
  EMAIL_NOT_VERIFIED: {
    message:
      'Please verify your email address first: open the link we sent you, or ask for a new one.',
    action: VERIFY,
  },
  BILLING_NOT_CONFIGURED: {
    message:
      'Paid plans are not available on this relay server (billing is not set up). Everything in the Free plan still works.',
  },
  TUNNEL_NOT_REGISTERED: {
    message: 'This instance has no tunnel yet. Add a WireGuard connection for it first.',
  },
  INTERNAL: { message: 'Something went wrong on our side. Try again in a moment.' },
  SERVICE_UNAVAILABLE: {
    message: 'The service is unavailable right now. Try again in a moment.',
  },
  PAYLOAD_TOO_LARGE: { message: 'That is too much data to send. Shorten it and try again.' },
  // Codes of a request the relay could not take as sent: a relay address that points elsewhere,
  // or a Cloud Connect and a relay of different versions.
  METHOD_NOT_ALLOWED: {
    message:
      'The relay server does not accept this request. Cloud Connect and the relay may be different versions: update Cloud Connect, or check the relay address in Settings.',
    action: SETTINGS,
  },
  UNSUPPORTED_MEDIA_TYPE: {
    message:
      'The relay server could not read the request Cloud Connect sent. Update Cloud Connect, or check the relay address in Settings.',
    action: SETTINGS,
  },
  BAD_REQUEST: {
    message:
      'The relay server could not understand the request. Check the relay address in Settings, then try again.',
    action: SETTINGS,
  },
  REQUEST_HEADERS_TOO_LARGE: {
    message:
      'The request was too large for the relay server. Sign out and sign in again, then try again.',
  },
  REQUEST_TIMEOUT: {
    message:
      'The relay server stopped waiting for the request. Check your internet connection, then try again.',
  },
  WEBHOOK_SIGNATURE_INVALID: {
    message:
      'The relay server refused a payment notice it could not verify. If your plan did not change, contact the relay’s administrator.',
  },
  // TunnelError codes (agent-core tunnels).
  INVALID_TOKEN: {
    message:
      'This is not a valid tunnel token. Copy the whole token from the Cloudflare dashboard (it starts with eyJ).',
    field: ['token', 'Not a valid tunnel token.'],
  },
  TOKEN_REJECTED: {
    message:
      'Cloudflare refused this token. The tunnel may have been deleted or its token rotated: copy a fresh one from the Cloudflare dashboard.',
    field: ['token', 'Refused by Cloudflare.'],
    withDetail: true,
  },
  TOKEN_REVOKED: {
    message:
      'The instance token is no longer valid (it was regenerated or the instance was deleted). Regenerate it on the Instances screen.',
    action: { label: 'Open instances', route: { name: 'instances' } },
  },
  BINARY_MISSING: {
    message: 'A program the tunnel needs is not installed on this computer.',
    withDetail: true,
  },
  PROCESS_EXITED: { message: 'The tunnel stopped unexpectedly.', withDetail: true },
  UNREACHABLE: {
    message: 'The relay or Cloudflare could not be reached. Cloud Connect keeps retrying.',
    detailFirst: true,
  },
  RELAY_ERROR: {
    message: 'The relay server answered with an error. Cloud Connect keeps retrying.',
    detailFirst: true,
  },
  NO_HANDSHAKE: {
    message:
      'The relay answers, but its WireGuard endpoint does not: a firewall may block UDP on the way. Cloud Connect keeps retrying.',
    detailFirst: true,
  },
  RELAY_WITHOUT_WIREGUARD: {
    message: 'This relay runs without WireGuard, so the tunnel cannot carry traffic.',
    detailFirst: true,
  },
  HEALTH_CHECK_FAILED: {
    message: 'The tunnel stopped answering its health check. Cloud Connect is restarting it.',
  },
  TARGET_UNAVAILABLE: {
    message:
      'The app on this computer could not be reached at the target address. Is its container running?',
    field: ['target', 'Nothing answers at this address.'],
    detailFirst: true,
  },
  PERMISSION_DENIED: {
    message: 'Cloud Connect is not allowed to create the network tunnel on this computer.',
    withDetail: true,
  },
  CONFIG_INVALID: { message: 'The connection settings are not valid.', withDetail: true },
  // The Manager's own.
  TOKEN_MISSING: {
    // The Manager's message names the connection and which token to paste.
    message: 'This connection has no token on this computer. Edit it and paste the token.',
    detailFirst: true,
  },
  // SecretError codes (the keychain, or the encrypted file kept with CLOUD_CONNECT_SECRET_KEY).
  NO_KEYCHAIN: {
    message:
      'There is no keychain on this computer to keep your tokens safe. Start your desktop’s keyring (for example GNOME Keyring), or set CLOUD_CONNECT_SECRET_KEY to keep them in an encrypted file, then restart Cloud Connect.',
  },
  KEYCHAIN_LOCKED: {
    message:
      'The keychain is locked. Unlock it (sign in to your desktop session or answer its prompt), then try again.',
  },
  KEYCHAIN_FAILED: {
    message:
      'The keychain could not read or save a token. Try again; if it keeps failing, restart your keyring or sign in to your desktop again.',
    withDetail: true,
  },
  SECRET_KEY_MISSING: {
    message:
      'Cloud Connect is set to keep tokens in an encrypted file, but CLOUD_CONNECT_SECRET_KEY is not set. Set it (at least 32 characters) and restart Cloud Connect.',
  },
  SECRET_KEY_TOO_SHORT: {
    message:
      'CLOUD_CONNECT_SECRET_KEY is too short to protect your tokens. Set it to at least 32 characters (for example the output of openssl rand -base64 32) and restart Cloud Connect.',
  },
  SECRET_KEY_WRONG: {
    message:
      'CLOUD_CONNECT_SECRET_KEY is not the key your saved tokens were encrypted with. Set the original key and restart Cloud Connect.',
    withDetail: true,
  },
  SECRET_FILE_TAMPERED: {
    message:
      'The file of saved tokens has been changed by something other than Cloud Connect, so none of its tokens are used. Move it away and enter your tokens again.',
    withDetail: true,
  },
  SECRET_FILE_CORRUPT: {
    message:
      'The file of saved tokens is damaged or is not a Cloud Connect file. Move it away and enter your tokens again.',
    withDetail: true,
  },
  SECRET_FILE_UNAVAILABLE: {
    message:
      'Cloud Connect cannot read or write its file of saved tokens. Check the permissions of its data folder and that the disk has free space.',
    withDetail: true,
  },
  INVALID_ACCOUNT: {
    message:
      'Cloud Connect tried to keep a token under a name it does not use. Try again, and report it if it keeps happening.',
  },
  INVALID_SECRET: {
    message: 'That token is empty or too long. Paste the whole token and try again.',
    withDetail: true,
  },
  // SettingsError codes.
  SETTINGS_INVALID: {
    message: 'Those settings are not valid. Check the values and try again.',
    withDetail: true,
  },
  SETTINGS_SECRET_REJECTED: {
    message:
      'That looks like a token or password, and Cloud Connect never keeps those in its settings. Paste tokens only into token fields.',
  },
  SETTINGS_CORRUPT: {
    message:
      'The settings file could not be read, so Cloud Connect kept it aside and loaded default settings. Check your connections and settings.',
    withDetail: true,
  },
  SETTINGS_NEWER_VERSION: {
    message:
      'Your settings were saved by a newer version of Cloud Connect. Update Cloud Connect to use them.',
  },
  SETTINGS_UNAVAILABLE: {
    message:
      'Cloud Connect cannot read or write its settings file. Check the permissions of its data folder and that the disk has free space.',
    withDetail: true,
  },
  CONNECTION_NOT_FOUND: {
    message: 'That connection no longer exists. It may have been removed elsewhere.',
  },
  // Host codes (Electron main, the web host).
  UNKNOWN_METHOD: {
    message:
      'This window asked Cloud Connect for something it does not know; the two may be different versions. Reload the window or restart Cloud Connect.',
  },
  NOT_SUPPORTED: {
    // The host's message says where the feature is available.
    message: 'That is not available here.',
    detailFirst: true,
  },
  // Bridge codes (the renderer's own transport).
  BRIDGE_DISCONNECTED: {
    message:
      'Lost the connection to the Cloud Connect app. It reconnects by itself; try again in a moment.',
  },
  BRIDGE_UNAUTHORIZED: {
    message:
      'This page is not authorised to talk to Cloud Connect. Open the link the web host printed again.',
  },
} satisfies Record<FailureCode, Wording>;

/** The wording of a code, or none for a code this renderer does not know (a newer host's). */
function wordingOf(code: string): Wording | undefined {
  return Object.hasOwn(WORDING, code) ? WORDING[code as FailureCode] : undefined;
}

/** A verification or reset link the relay does not know answers NOT_FOUND or UNAUTHORIZED alike. */
const BAD_VERIFY_LINK: Wording = {
  message: 'This verification link is invalid or has expired. Ask for a new one below.',
  field: ['token', 'Invalid or expired.'],
};
const BAD_RESET_LINK: Wording = {
  message: 'This reset link is invalid, expired or already used. Ask for a new one.',
  field: ['token', 'Invalid, expired or already used.'],
  action: { label: 'Send a new link', route: { name: 'forgotPassword' } },
};

/** What a code means in a particular request, where the generic wording would mislead. */
const BY_REQUEST: Record<string, Partial<Record<FailureCode, Wording>>> = {
  signIn: {
    UNAUTHORIZED: {
      message: 'That email and password do not match. Check them and try again.',
      field: ['password', 'Email or password is incorrect.'],
    },
  },
  verifyEmail: { NOT_FOUND: BAD_VERIFY_LINK, UNAUTHORIZED: BAD_VERIFY_LINK },
  verifyEmailLocally: {
    NOT_FOUND: {
      message:
        'No verification mail to that address is in the local relay’s outbox. Send a new one below, then try again.',
    },
    VALIDATION_ERROR: {
      message:
        'The newest verification mail in the local relay’s outbox is used or expired. Send a new one below, then try again.',
    },
  },
  resetPassword: { NOT_FOUND: BAD_RESET_LINK, UNAUTHORIZED: BAD_RESET_LINK },
};

/** `0.email` / `body.email` → `email`: the host may prefix argument positions or request parts. */
function fieldKey(path: string): string {
  const parts = path.split('.').filter((p) => p !== '' && !/^\d+$/.test(p));
  return parts[parts.length - 1] ?? path;
}

function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  const first = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?…]$/.test(first) ? first : `${first}.`;
}

/** The request a key belongs to: `renameInstance:inst_…` → `renameInstance`. */
function requestName(key: string | undefined): string {
  return key ? (key.split(':')[0] ?? key) : '';
}

/** Turns a failed Result into words for the user, with field messages mapped to input names. */
export function friendlyError(failure: Failure, requestKey?: string): FriendlyError {
  const wording = BY_REQUEST[requestName(requestKey)]?.[failure.code] ?? wordingOf(failure.code);
  const fields: Record<string, string> = {};
  for (const [path, text] of Object.entries(failure.fields ?? {})) {
    fields[fieldKey(path)] = sentence(text);
  }
  if (wording?.field && !fields[wording.field[0]]) fields[wording.field[0]] = wording.field[1];

  let message: string;
  if (!wording) message = sentence(failure.message || 'Something went wrong.');
  else if (wording.detailFirst && failure.message.trim()) message = sentence(failure.message);
  else if (wording.withDetail && failure.message.trim())
    // The detail often starts with a name (a domain, a program): keep its case as it is.
    message = `${wording.message} (${failure.message.trim().replace(/\.$/, '')}.)`;
  else message = wording.message;
  if (failure.code === 'VALIDATION_ERROR' && Object.keys(fields).length === 0) {
    message = sentence(failure.message || wording?.message || 'Some details need correcting.');
  }

  const error: FriendlyError = { code: failure.code, message, fields };
  if (wording?.action) error.action = wording.action;
  return error;
}

/**
 * A tunnel's error (from a status or a connectivity test: its `error_code` and `error`) in the
 * same words as a failed call, or the bare detail when there is no code; null when neither.
 */
export function tunnelErrorWords(code: FailureCode | null, detail: string | null): string | null {
  return code ? friendlyError({ ok: false, code, message: detail ?? '' }).message : detail;
}

/** A FriendlyError for problems the renderer finds before asking the host (empty inputs…). */
export function localValidationError(fields: Record<string, string>): FriendlyError {
  return {
    code: 'VALIDATION_ERROR',
    message: 'Some details need correcting. See the marked fields.',
    fields,
  };
}
