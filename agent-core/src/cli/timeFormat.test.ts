import { describe, expect, it } from 'vitest';
import { formatDuration, localTime, relativeTime, whenText } from './timeFormat.js';

const now = new Date('2026-12-07T14:10:00.000Z');
const opts = { now, timeZone: 'Europe/Berlin', locale: 'en-GB' };

const formats = { relativeTime, localTime, whenText };

it.each([
  // How long ago, in whole units.
  ['relativeTime', '2026-12-07T14:07:00.000Z', '3 minutes ago'],
  ['relativeTime', '2026-12-07T14:09:58.000Z', 'just now'],
  ['relativeTime', '2026-12-07T14:09:15.000Z', '45 seconds ago'],
  ['relativeTime', '2026-12-07T11:00:00.000Z', '3 hours ago'],
  ['relativeTime', '2026-12-05T14:10:00.000Z', '2 days ago'],
  ['relativeTime', '2026-12-07T14:09:00.000Z', '1 minute ago'],
  // How long until a time to come.
  ['relativeTime', '2026-12-07T14:10:20.000Z', 'in 20 seconds'],
  // What it cannot read comes back as it was.
  ['relativeTime', 'not a date', 'not a date'],
  // The local zone: 14:07 UTC is 15:07 in Berlin in December (a UTC slice would say 14:07).
  ['localTime', '2026-12-07T14:07:09.000Z', '15:07:09'],
  // Another day: the date too.
  ['localTime', '2026-12-05T08:30:00.000Z', '5 Dec 2026, 09:30'],
  // "The same day" is the local one: 23:30 UTC on the 6th is already the 7th in Berlin.
  ['localTime', '2026-12-06T23:30:00.000Z', '00:30:00'],
  // Both together.
  ['whenText', '2026-12-07T14:07:09.000Z', '2 minutes ago (15:07:09)'],
] as const)('%s says %s as "%s"', (format, time, words) => {
  expect(formats[format](time, opts)).toBe(words);
});

describe('whenText', () => {
  it('says never for no time', () => {
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
