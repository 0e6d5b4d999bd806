import { describe, expect, it } from 'vitest';
import { TunnelError, type TunnelErrorCode } from '../tunnelError.js';
import { interfaceFailureReason, noHandshakeReason } from './fallbackReasons.js';

describe('interfaceFailureReason', () => {
  it.each<[TunnelErrorCode, string, Record<string, unknown> | undefined, string | null]>([
    [
      'PERMISSION_DENIED',
      'ip link add cc0 type wireguard: not permitted (RTNETLINK answers: Operation not permitted)',
      undefined,
      'no permission to create a network interface',
    ],
    [
      'BINARY_MISSING',
      'wireguard-go is not installed or not on PATH',
      { binary: 'wireguard-go' },
      'wireguard-go is not installed',
    ],
    [
      'BINARY_MISSING',
      'The WireGuard kernel module is not loaded (modprobe wireguard)',
      undefined,
      'the WireGuard kernel module is not loaded',
    ],
    [
      'PROCESS_EXITED',
      'wireguard-go -f cc0 exited (exit 1): ERROR: (cc0) Failed to create TUN device: no such file or directory',
      undefined,
      'no /dev/net/tun on this machine',
    ],
    [
      'INTERNAL',
      'wg setconf cc0 /tmp/x.conf failed (exit 1): boom',
      undefined,
      'the WireGuard interface could not be created (wg setconf cc0 /tmp/x.conf failed (exit 1): boom)',
    ],
    ['TOKEN_REVOKED', 'The relay no longer accepts this instance token', undefined, null],
    ['CONFIG_INVALID', 'the relay refused the registration', undefined, null],
    ['INVALID_TOKEN', 'bad token', undefined, null],
  ])('%s (%s) → %s', (code, message, details, reason) => {
    expect(interfaceFailureReason(new TunnelError(code, message, details))).toBe(reason);
  });
});

describe('noHandshakeReason', () => {
  it.each([
    [
      5000,
      'relay.example.com:51820',
      'no WireGuard handshake in 5 s: UDP to relay.example.com:51820 blocked?',
    ],
    [
      1500,
      '[2001:db8::1]:51820',
      'no WireGuard handshake in 1.5 s: UDP to [2001:db8::1]:51820 blocked?',
    ],
  ])('%i ms, %s', (ms, endpoint, reason) => {
    expect(noHandshakeReason(ms, endpoint)).toBe(reason);
  });
});
