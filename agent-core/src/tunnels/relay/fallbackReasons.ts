import type { TunnelError } from '../tunnelError.js';

/**
 * Why `auto` left WireGuard for the stream transport, in the words the status views show
 * (`details.transport_reason`). Each names the cause, not the mechanism, so a user knows what
 * would let WireGuard work.
 */

/** The relay answered the registration with `transports.wireguard: false` (`WG_MODE=off`). */
export const RELAY_WITHOUT_WIREGUARD = 'the relay does not offer WireGuard';

/** The relay offers no stream transport (an older relay, or one without its API server). */
export const RELAY_WITHOUT_STREAM = 'the relay does not offer the stream transport';

/** WireGuard came up but never reached the relay within the grace: the UDP path is the suspect. */
export function noHandshakeReason(graceMs: number, endpoint: string): string {
  const seconds = Math.round(graceMs / 100) / 10;
  return `no WireGuard handshake in ${seconds} s: UDP to ${endpoint} blocked?`;
}

/**
 * Errors no transport gets over: the token or the settings are wrong. Narrower than the
 * supervisor's permanent errors (`isPermanentTunnelError`): a missing program or a refused
 * permission end WireGuard only, and are exactly when the stream transport is tried.
 */
const FINAL = new Set(['INVALID_TOKEN', 'TOKEN_REJECTED', 'TOKEN_REVOKED', 'CONFIG_INVALID']);

/**
 * Why the WireGuard interface could not be made, as a fallback reason; null when the error is
 * final and the stream transport must not be tried (a revoked token, bad settings).
 */
export function interfaceFailureReason(error: TunnelError): string | null {
  if (FINAL.has(error.code)) return null;
  // wireguard-go's "Failed to create TUN device: … no such file or directory" (a container
  // without the device) exits like any other crash; its words are the only sign.
  if (/tun device.*no such file|\/dev\/net\/tun.*no such file/i.test(error.message)) {
    return 'no /dev/net/tun on this machine';
  }
  switch (error.code) {
    case 'PERMISSION_DENIED':
      return 'no permission to create a network interface';
    case 'BINARY_MISSING': {
      const binary = error.details?.binary;
      return typeof binary === 'string'
        ? `${binary} is not installed`
        : 'the WireGuard kernel module is not loaded';
    }
    default:
      return `the WireGuard interface could not be created (${error.message})`;
  }
}
