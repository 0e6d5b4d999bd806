import { describe, expect, it } from 'vitest';
import {
  createLineSplitter,
  isWireGuardGoBanner,
  wireGuardGoLineLevel,
} from './wireguardGoOutput.js';

/** What wireguard-go v0.0.20220316 printed on stderr, run for real (`-f`) in a namespace. */
const BANNER = [
  '┌──────────────────────────────────────────────────────┐',
  '│                                                      │',
  '│   Running wireguard-go is not required because this  │',
  '│   kernel has first class support for WireGuard. For  │',
  '│   information on installing the kernel module,       │',
  '│   please visit:                                      │',
  '│         https://www.wireguard.com/install/           │',
  '│                                                      │',
  '└──────────────────────────────────────────────────────┘',
].join('\n');

/** The banner of older builds. */
const OLD_BANNER = [
  'WARNING WARNING WARNING WARNING WARNING WARNING WARNING',
  'W                                                     G',
  'W   This is alpha software. It will very likely not   G',
  'W   do what it is supposed to do, and things may go   G',
  'W   horribly wrong. You have been warned. Proceed     G',
  'W   at your own risk.                                 G',
  'W                                                     G',
  'WARNING WARNING WARNING WARNING WARNING WARNING WARNING',
].join('\n');

const REAL_ERRORS = [
  'ERROR: (ccw0) 2026/12/07 19:20:01 Failed to create TUN device: no such file or directory',
  'ERROR: (ccw0) 2026/12/07 19:20:01 Failed to listen on uapi socket: permission denied',
  'ERROR: (ccw0) 2026/12/07 19:20:01 UAPI listen error: address already in use',
  'please visit the log for details', // not a banner line, even though it starts like one
];

describe('wireguard-go banner', () => {
  it('classes every line of the real banner, old and new, as debug', () => {
    for (const line of [...BANNER.split('\n'), ...OLD_BANNER.split('\n')]) {
      expect(isWireGuardGoBanner(line), line).toBe(true);
      expect(wireGuardGoLineLevel(line, 'warn')).toBe('debug');
    }
  });

  it('keeps real errors at the level given', () => {
    for (const line of REAL_ERRORS) expect(wireGuardGoLineLevel(line, 'warn'), line).toBe('warn');
  });

  it('never lets a fragment out when the banner arrives in arbitrary chunks', () => {
    const bytes = Buffer.from(`${BANNER}\n${REAL_ERRORS[0]}\n`);
    // Every split point, including those inside a three-byte box character.
    for (let cut = 1; cut < bytes.length; cut += 7) {
      const split = createLineSplitter();
      const lines = [
        ...split.push(bytes.subarray(0, cut)),
        ...split.push(bytes.subarray(cut)),
        ...split.flush(),
      ];
      expect(lines.filter((l) => !isWireGuardGoBanner(l))).toEqual([REAL_ERRORS[0]]);
    }
  });

  it('hands back an unterminated last line on flush', () => {
    const split = createLineSplitter();
    expect(split.push('one\ntw')).toEqual(['one']);
    expect(split.push('o')).toEqual([]);
    expect(split.flush()).toEqual(['two']);
  });
});
