import { describe, expect, it } from 'vitest';
import { formatDuration } from './formatTime.js';

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
