import { CodedError } from '../errors/codedError.js';

/** Why a WireGuard program or interface failed, as a code its owner can act on. */
export type WireGuardErrorCode =
  /** wireguard-go, wg, ip or iptables is not installed (or the kernel has no WireGuard module). */
  | 'BINARY_MISSING'
  /** Creating or configuring interfaces needs root (or CAP_NET_ADMIN, and /dev/net/tun). */
  | 'PERMISSION_DENIED'
  /** The interface name is taken by another process or interface. */
  | 'INTERFACE_IN_USE'
  /** A command ran and failed; the message carries its stderr. */
  | 'COMMAND_FAILED'
  /** Not a WireGuard key: 32 bytes in base64. */
  | 'KEY_INVALID'
  /** wireguard-go exited on its own before its interface was up. */
  | 'PROCESS_EXITED'
  /** wireguard-go did not open its control socket in time. */
  | 'TIMEOUT';

/**
 * A failed WireGuard primitive (command, key, wireguard-go). The message says what to do and
 * never carries a key; the relay and the agent each map it to their own failure model at their
 * boundary (the relay logs it, the agent turns it into a TunnelError).
 */
export class WireGuardError extends CodedError<WireGuardErrorCode> {}

/**
 * Who runs the WireGuard programs, for the "what to do" part of a failure's message: the relay
 * tells its operator about WG_MODE and relay-server, the agent about its tunnel.
 */
export interface WireGuardAdvice {
  /** What needs a missing program: "WG_MODE" gives "…; WG_MODE needs it". */
  needs: string;
  /** How to get permission: "run relay-server as root or give it CAP_NET_ADMIN". */
  permission: string;
  /** The message for an interface name that is already taken. */
  nameTaken: (name: string) => string;
  /** Install hints beyond Debian's package, e.g. "macOS: brew install wireguard-tools". */
  otherInstall?: string;
  /**
   * The message for a wireguard-go whose control socket did not open in time; by default
   * "wireguard-go -f <name> did not open its control socket within <ms> ms".
   */
  notReady?: (name: string, timeoutMs: number) => string;
}
