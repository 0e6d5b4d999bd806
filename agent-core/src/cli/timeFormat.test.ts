import { describe, expect, it } from 'vitest';
import { formatDuration, localTime, relativeTime, whenText } from './timeFormat.js';

const now = new Date('2026-12-07T14:10:00.000Z');
const opts = { now, timeZone: 'Europe/Berlin', locale: 'en-GB' };

describe('relativeTime', () => {
  it('says how long ago, in whole units', () => {
    expect(relativeTime('2026-12-07T14:07:00.000Z', opts)).toBe('3 minutes ago');
    expect(relativeTime('2026-12-07T14:09:58.000Z', opts)).toBe('just now');
    expect(relativeTime('2026-12-07T14:09:15.000Z', opts)).toBe('45 seconds ago');
    expect(relativeTime('2026-12-07T11:00:00.000Z', opts)).toBe('3 hours ago');
    expect(relativeTime('2026-12-05T14:10:00.000Z', opts)).toBe('2 days ago');
    expect(relativeTime('2026-12-07T14:09:00.000Z', opts)).toBe('1 minute ago');
  });

  it('says how long until a time to come', () => {
    expect(relativeTime('2026-12-07T14:10:20.000Z', opts)).toBe('in 20 seconds');
  });

  it('gives back what it cannot read', () => {
    expect(relativeTime('not a date', opts)).toBe('not a date');
  });
});

describe('localTime', () => {
  it('shows the clock time in the local zone on the same day, the date too on another', () => {
    // 14:07 UTC is 15:07 in Berlin in December: a UTC slice would say 14:07.
    expect(localTime('2026-12-07T14:07:09.000Z', opts)).toBe('15:07:09');
    expect(localTime('2026-12-05T08:30:00.000Z', opts)).toBe('5 Dec 2026, 09:30');
  });

  it('decides "the same day" in the local zone', () => {
    // 23:30 UTC on the 6th is already the 7th in Berlin.
    expect(localTime('2026-12-06T23:30:00.000Z', opts)).toBe('00:30:00');
  });
});

describe('whenText', () => {
  it('puts both together, and says never for no time', () => {
    expect(whenText('2026-12-07T14:07:09.000Z', opts)).toBe('2 minutes ago (15:07:09)');
    expect(whenText(null, opts)).toBe('never');
  });
});

describe('formatDuration', () => {
  it('reads as seconds, minutes or hours', () => {
    expect(formatDuration(45.7)).toBe('45s');
    expect(formatDuration(725)).toBe('12m05s');
    expect(formatDuration(3 * 3600 + 7 * 60)).toBe('3h07m');
    expect(formatDuration(-3)).toBe('0s');
  });
});
