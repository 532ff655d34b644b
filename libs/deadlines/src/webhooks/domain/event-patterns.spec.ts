import { describe, expect, it } from '@jest/globals';
import { isEventPattern, matchesEvent, patternMatches } from './event-patterns.js';

describe('event patterns', () => {
  it.each(['*', 'lease.*', 'lease.renewed', 'transfer.stage_changed', 'deadline.threshold_crossed', 'escrow.*', 'a.b.c', 'a.b.*'])('accepts %j', (p) => {
    expect(isEventPattern(p)).toBe(true);
  });

  it.each(['', '**', 'lease.', '.lease', 'Lease.*', 'lease.**', 'lease*', 'lease.*.renewed', 'lease renewed', 'lease-renewed', '*.renewed', 'lease..renewed', 'lease.1'])(
    'refuses %j',
    (p) => {
      expect(isEventPattern(p)).toBe(false);
    },
  );

  it.each([
    ['*', 'lease.renewed', true],
    ['lease.*', 'lease.renewed', true],
    ['lease.*', 'lease.billing.failed', true],
    ['lease.*', 'leases.renewed', false],
    ['lease.*', 'lease', false],
    ['lease.renewed', 'lease.renewed', true],
    ['lease.renewed', 'lease.renewed_early', false],
    ['lease.renewed', 'lease.ended', false],
    ['transfer.*', 'lease.renewed', false],
  ])('%j matches %j: %s', (pattern, type, expected) => {
    expect(patternMatches(pattern, type)).toBe(expected);
  });

  it('matches when any pattern of the endpoint does', () => {
    expect(matchesEvent(['escrow.funded', 'lease.*'], 'lease.ended')).toBe(true);
    expect(matchesEvent(['escrow.funded', 'lease.*'], 'transfer.stage_changed')).toBe(false);
    expect(matchesEvent([], 'lease.ended')).toBe(false);
  });
});
