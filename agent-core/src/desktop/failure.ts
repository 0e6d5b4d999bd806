import type { ApiErrorCode } from '../client/apiError.js';
import type { FieldMessages } from '../errors/codedError.js';
import type { ManagerErrorCode } from '../manager/managerError.js';
import type { SecretErrorCode } from '../secrets/secretError.js';
import type { SettingsErrorCode } from '../settings/settingsError.js';
import type { TunnelErrorCode } from '../tunnels/tunnelError.js';

/** Codes a host (Electron main, the web host) answers with itself, without asking the Manager. */
export type HostErrorCode =
  /** The call names no DesktopApi method. */
  | 'UNKNOWN_METHOD'
  /** This host cannot do that (launch at login in the web host). */
  | 'NOT_SUPPORTED';

/** Codes the renderer's own transport answers with when the host cannot be asked. */
export type BridgeErrorCode =
  /** The web host's socket dropped before the call was answered. */
  | 'BRIDGE_DISCONNECTED'
  /** The page has no preload and no valid access token. */
  | 'BRIDGE_UNAUTHORIZED';

/**
 * Every code a failed DesktopApi call can carry to the renderer: the API's and the client's,
 * the tunnel drivers', the secret and settings stores', the Manager's own, the hosts' and the
 * bridge's. The renderer's wording table is checked against it, so a new code fails the build
 * until it has words.
 */
export type FailureCode =
  | ApiErrorCode
  | TunnelErrorCode
  | SecretErrorCode
  | SettingsErrorCode
  | ManagerErrorCode
  | HostErrorCode
  | BridgeErrorCode;

/** An expected failure as a value: `{ ok: false, code, message, fields? }`. */
export type Failure<Code extends string = FailureCode> = {
  ok: false;
  code: Code;
  message: string;
  fields?: FieldMessages;
};

/** What every DesktopApi call answers: its value, or a Failure; never a thrown error. */
export type Result<T, Code extends string = FailureCode> = { ok: true; value: T } | Failure<Code>;
