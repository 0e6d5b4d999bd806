import { describe, expect, it } from 'vitest';
import { formatDuration, formatRelative } from './formatTime.js';

describe('formatDuration', () => {
  it('shows the two or three largest units a person reads at a glance', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(42.9)).toBe('42 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDuration(3725)).toBe('1 h 2 min 5 s');
    expect(formatDuration(90_061)).toBe('1 d 1 h 1 min');
    expect(formatDuration(-5)).toBe('0 s');
  });
});

describe('formatRelative', () => {
  const now = Date.parse('2030-01-01T12:00:00Z');
  const at = (ms: number) => new Date(now + ms).toISOString();
  it('says how far a moment is in the largest unit that reads well', () => {
    expect(formatRelative(at(72 * 3_600_000), now, 'en')).toBe('in 3 days');
    expect(formatRelative(at(47 * 3_600_000), now, 'en')).toBe('in 47 hours');
    expect(formatRelative(at(90 * 60_000), now, 'en')).toBe('in 2 hours');
    expect(formatRelative(at(5 * 60_000), now, 'en')).toBe('in 5 minutes');
    expect(formatRelative(at(-2 * 60_000), now, 'en')).toBe('2 minutes ago');
    expect(formatRelative('not a time', now, 'en')).toBe('not a time');
  });
});
