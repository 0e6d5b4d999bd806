import { CodedError } from '../errors/codedError.js';

/** Why a tunnel failed; each code has a message that says what to do. */
export type TunnelErrorCode =
  /** cloudflared: the token is malformed ("Provided Tunnel token is not valid."). */
  | 'INVALID_TOKEN'
  /** cloudflared: the edge refused a well-formed token (Unauthorized: …). */
  | 'TOKEN_REJECTED'
  /** WireGuard: the relay no longer accepts the instance token (regenerated or instance deleted). */
  | 'TOKEN_REVOKED'
  /** A program the driver needs is not installed (cloudflared, wireguard-go, wg, ip). */
  | 'BINARY_MISSING'
  /** The process exited on its own. */
  | 'PROCESS_EXITED'
  /** No connection came up within the allowed time. */
  | 'TIMEOUT'
  /** The relay or Cloudflare edge could not be reached (a network failure: DNS, refused, timed out). */
  | 'UNREACHABLE'
  /** The relay's API answered, but with an error it may get over (5xx, rate limit). */
  | 'RELAY_ERROR'
  /** WireGuard: the relay's API answers, its WireGuard endpoint does not (UDP blocked?). */
  | 'NO_HANDSHAKE'
  /** WireGuard: the relay reports it runs without WireGuard (`WG_MODE=off`) and no handshake came. */
  | 'RELAY_WITHOUT_WIREGUARD'
  /** The tunnel was up and the health check now fails. */
  | 'HEALTH_CHECK_FAILED'
  /** The local target (the Docker app) could not be used. */
  | 'TARGET_UNAVAILABLE'
  /** Not allowed on this machine (e.g. no permission to create interfaces). */
  | 'PERMISSION_DENIED'
  | 'CONFIG_INVALID'
  | 'INTERNAL';

/** Errors that restarting cannot fix: the supervisor stops and shows them instead of retrying. */
const PERMANENT: ReadonlySet<TunnelErrorCode> = new Set([
  'INVALID_TOKEN',
  'TOKEN_REVOKED',
  'BINARY_MISSING',
  'PERMISSION_DENIED',
  'CONFIG_INVALID',
]);

/** Whether an error code (e.g. a status's `error_code`) is one that restarting cannot fix. */
export function isPermanentTunnelError(code: string): boolean {
  return PERMANENT.has(code as TunnelErrorCode);
}

/** A tunnel failure as a value: a code, a message for the user, and whether a retry can help. */
export class TunnelError extends CodedError<TunnelErrorCode> {
  readonly retryable: boolean;

  constructor(code: TunnelErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
    this.retryable = !isPermanentTunnelError(code);
  }

  override toJSON() {
    return { ...super.toJSON(), retryable: this.retryable };
  }

  /** Normalise anything thrown into a TunnelError; unknown causes become INTERNAL. */
  static from(cause: unknown, fallback: TunnelErrorCode = 'INTERNAL'): TunnelError {
    if (cause instanceof TunnelError) return cause;
    const message = cause instanceof Error ? cause.message : String(cause);
    return new TunnelError(fallback, message);
  }
}
