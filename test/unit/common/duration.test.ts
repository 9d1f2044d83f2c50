import { describe, expect, it } from 'vitest';
import { formatDurationMs, parseDurationMs } from '../../../common/duration.js';

describe('parseDurationMs', () => {
  it.each([
    ['500ms', 500],
    ['5s', 5000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['1.5s', 1500],
    ['7d', 604_800_000],
    ['250', 250],
    [1200, 1200],
  ])('parseDurationMs_%s_is_%d', (input, expected) => {
    expect(parseDurationMs(input)).toBe(expected);
  });

  it.each(['', 'five seconds', '5x', '-5s', '5s garbage', -1])('parseDurationMs_rejects_%s', (input) => {
    expect(parseDurationMs(input)).toBeUndefined();
  });

  it('formatDurationMs_roundTrips', () => {
    for (const ms of [250, 5000, 90_000, 7_200_500]) expect(parseDurationMs(formatDurationMs(ms))).toBe(ms);
  });
});
