import { describe, expect, it } from '@jest/globals';
import { redactUrl } from './redact-url.js';

describe('redactUrl', () => {
  it.each([
    ['/v1/deadlines.ics?token=ical_abc123', '/v1/deadlines.ics?token=***'],
    ['/v1/deadlines.ics?within=P30D&token=ical_abc&kind=lease.end', '/v1/deadlines.ics?within=P30D&token=***&kind=lease.end'],
    ['/v1/deadlines.ics?TOKEN=x#frag', '/v1/deadlines.ics?TOKEN=***#frag'],
    ['/v1/x?api_key=k&secret=s', '/v1/x?api_key=***&secret=***'],
    ['/v1/deadlines?within=P30D', '/v1/deadlines?within=P30D'],
    ['/v1/x?notatoken=1', '/v1/x?notatoken=1'],
  ])('%s -> %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});
