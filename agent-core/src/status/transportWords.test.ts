import { describe, expect, it } from 'vitest';
import { transportWords, type TransportInput } from './transportWords.js';

const view = (
  transport: TransportInput['transport'],
  details: Record<string, number | string | null> = {},
): TransportInput => ({ transport, status: { details } });

describe('transportWords', () => {
  it('says nothing of a connection without a transport (Cloudflare)', () => {
    expect(transportWords(view(null, { transport: 'stream' }))).toBeNull();
  });

  it('says nothing of a transport it does not know (a status file of another version)', () => {
    for (const unknown of ['udp', 'constructor', 'toString']) {
      // The value comes from a file on disk, not from the typed settings.
      const input = view(unknown as TransportInput['transport']);
      expect(transportWords(input)).toBeNull();
    }
  });

  it.each([
    ['an automatic choice not running', view('auto'), 'Automatic'],
    ['WireGuard chosen, not running', view('wireguard'), 'WireGuard'],
    ['the stream transport chosen, not running', view('stream'), 'Stream over HTTPS'],
    [
      'auto on the stream transport, with why',
      view('auto', {
        transport: 'stream',
        transport_reason: 'no permission to create a network interface',
      }),
      'via stream transport — no permission to create a network interface',
    ],
    [
      'auto on WireGuard',
      view('auto', { transport: 'wireguard', transport_reason: null }),
      'via WireGuard (chosen automatically)',
    ],
    [
      'an explicit choice (a reason is only for auto)',
      view('stream', { transport: 'stream', transport_reason: 'ignored' }),
      'via stream transport',
    ],
    [
      'a path the driver has not decided yet',
      view('auto', { transport: null, transport_reason: null }),
      'Automatic',
    ],
    [
      'a path this version does not know',
      view('wireguard', { transport: 'carrier pigeon' }),
      'WireGuard',
    ],
  ])('%s', (_what, input, summary) => {
    expect(transportWords(input)?.summary).toBe(summary);
  });

  it('names the choice, the path in use and the reason apart', () => {
    expect(
      transportWords(
        view('auto', {
          transport: 'stream',
          transport_reason: 'the relay does not offer WireGuard',
        }),
      ),
    ).toEqual({
      chosen: 'auto',
      inUse: 'stream',
      reason: 'the relay does not offer WireGuard',
      summary: 'via stream transport — the relay does not offer WireGuard',
    });
  });
});
