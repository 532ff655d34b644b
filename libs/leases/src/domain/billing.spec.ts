import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { leaseMonth, monthlyCharge, monthsDue } from './billing.js';

const d = (s: string) => new Date(s);

describe('lease billing', () => {
  it('counts lease months from the start, without drift on short months', () => {
    const start = d('2026-01-31T10:00:00Z');
    expect(leaseMonth(start, 0)).toEqual({ index: 0, from: start, to: d('2026-02-28T10:00:00Z') });
    expect(leaseMonth(start, 1)).toEqual({ index: 1, from: d('2026-02-28T10:00:00Z'), to: d('2026-03-31T10:00:00Z') });
    expect(leaseMonth(start, 2).from).toEqual(d('2026-03-31T10:00:00Z'));
    expect(() => leaseMonth(start, -1)).toThrow(RangeError);
  });

  it('charges each started month once, in order, and none after the end', () => {
    const startsAt = d('2026-01-15T00:00:00Z');
    const endsAt = d('2026-04-15T00:00:00Z');
    expect(monthsDue({ startsAt, endsAt, billedThrough: -1, now: startsAt }).map((m) => m.index)).toEqual([0]);
    expect(monthsDue({ startsAt, endsAt, billedThrough: 0, now: d('2026-02-14T23:59:59Z') })).toEqual([]);
    expect(monthsDue({ startsAt, endsAt, billedThrough: 0, now: d('2026-02-15T00:00:00Z') }).map((m) => m.index)).toEqual([1]);
    // The clock jumped a year: the months left in the term, once each, and nothing beyond its end.
    expect(monthsDue({ startsAt, endsAt, billedThrough: 0, now: d('2027-01-01T00:00:00Z') }).map((m) => m.index)).toEqual([1, 2]);
  });

  it('never charges a month twice however the scans fall', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 20 }), (dayOffsets) => {
        const startsAt = d('2026-01-31T00:00:00Z');
        const endsAt = d('2027-01-31T00:00:00Z');
        let billedThrough = -1;
        const charged: number[] = [];
        for (const days of [...dayOffsets].sort((a, b) => a - b)) {
          const due = monthsDue({ startsAt, endsAt, billedThrough, now: new Date(startsAt.getTime() + days * 86_400_000) });
          charged.push(...due.map((m) => m.index));
          billedThrough = due.at(-1)?.index ?? billedThrough;
        }
        expect(charged).toEqual([...Array(charged.length).keys()]);
        expect(charged.length).toBeLessThanOrEqual(12);
      }),
    );
  });

  it('splits a month between lessor and platform with no cent made or lost', () => {
    expect(monthlyCharge({ amountMinor: 10_240n, currency: 'USD' })).toEqual({
      lessee: { amountMinor: 10_240n, currency: 'USD' },
      lessor: { amountMinor: 9_216n, currency: 'USD' },
      platformFee: { amountMinor: 1_024n, currency: 'USD' },
    });
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 15n }), fc.integer({ min: 0, max: 10_000 }), (amount, bps) => {
        const c = monthlyCharge({ amountMinor: amount, currency: 'EUR' }, bps);
        expect(c.lessor.amountMinor + c.platformFee.amountMinor).toBe(amount);
        expect(c.platformFee.amountMinor >= 0n && c.lessor.amountMinor >= 0n).toBe(true);
      }),
    );
    expect(() => monthlyCharge({ amountMinor: 0n, currency: 'USD' })).toThrow(RangeError);
  });
});
