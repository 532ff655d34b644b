import { describe, expect, it } from '@jest/globals';
import { parseIsoDuration } from './duration.js';

const DAY = 86_400_000;

describe('ISO 8601 durations', () => {
  it.each([
    ['P30D', 30 * DAY],
    ['P1W', 7 * DAY],
    ['P1Y', 365 * DAY],
    ['P2M', 60 * DAY],
    ['PT12H', 12 * 3_600_000],
    ['PT90M', 90 * 60_000],
    ['PT1S', 1000],
    ['P1DT1H', DAY + 3_600_000],
    ['P0D', 0],
  ])('%s is %d ms', (text, ms) => {
    expect(parseIsoDuration(text)).toBe(ms);
  });

  it.each(['', 'P', 'PT', '30D', 'P-1D', 'P1.5D', 'p30d', 'P30D ', 'PT1D', 'P1H', 'P9999999D', null, 30])('refuses %j', (text) => {
    expect(parseIsoDuration(text)).toBeNull();
  });
});
