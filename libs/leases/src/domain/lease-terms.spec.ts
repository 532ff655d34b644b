import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  addMonthsUtc, checkLeaseTerms, leasePeriod, MAX_LEASE_TERM_MONTHS, MAX_NOTICE_DAYS, MIN_NOTICE_DAYS, noticeDeadline, renewedPeriod,
} from './lease-terms.js';

const at = (iso: string) => new Date(iso);
const iso = (d: Date) => d.toISOString();
const DAY = 86_400_000;

describe('constants', () => {
  it('are the issue figures', () => {
    expect([MAX_LEASE_TERM_MONTHS, MIN_NOTICE_DAYS, MAX_NOTICE_DAYS]).toEqual([120, 1, 365]);
  });
});

describe('addMonthsUtc', () => {
  it.each([
    ['2025-01-15T10:20:30.456Z', 1, '2025-02-15T10:20:30.456Z'],
    ['2025-01-31T00:00:00.000Z', 1, '2025-02-28T00:00:00.000Z'],
    ['2024-01-31T00:00:00.000Z', 1, '2024-02-29T00:00:00.000Z'],
    ['2025-01-31T23:59:59.999Z', 3, '2025-04-30T23:59:59.999Z'],
    ['2025-03-31T12:00:00.000Z', -1, '2025-02-28T12:00:00.000Z'],
    ['2025-12-31T00:00:00.000Z', 2, '2026-02-28T00:00:00.000Z'],
    ['2025-12-15T00:00:00.000Z', 1, '2026-01-15T00:00:00.000Z'],
    ['2025-01-15T00:00:00.000Z', -1, '2024-12-15T00:00:00.000Z'],
    ['2025-01-15T00:00:00.000Z', -13, '2023-12-15T00:00:00.000Z'],
    ['2025-01-15T00:00:00.000Z', 0, '2025-01-15T00:00:00.000Z'],
    ['2024-02-29T06:00:00.000Z', 12, '2025-02-28T06:00:00.000Z'],
    ['2024-02-29T06:00:00.000Z', 48, '2028-02-29T06:00:00.000Z'],
    ['2099-01-31T00:00:00.000Z', 1, '2099-02-28T00:00:00.000Z'],
    ['2100-01-31T00:00:00.000Z', 1, '2100-02-28T00:00:00.000Z'], // 2100 is not a leap year
    ['2000-01-31T00:00:00.000Z', 1, '2000-02-29T00:00:00.000Z'], // 2000 is
    ['2025-05-31T00:00:00.000Z', 120, '2035-05-31T00:00:00.000Z'],
    ['0050-01-31T00:00:00.000Z', 1, '0050-02-28T00:00:00.000Z'], // not read as 1950
  ])('%s + %d months = %s', (from, months, to) => {
    expect(iso(addMonthsUtc(at(from), months))).toBe(to);
  });

  it('does not depend on the local time zone (uses only UTC fields)', () => {
    // 23:30 UTC on Jan 31 is already Feb 1 east of UTC; the result is still clamped in UTC.
    expect(iso(addMonthsUtc(at('2025-01-31T23:30:00.000Z'), 1))).toBe('2025-02-28T23:30:00.000Z');
  });

  it('does not modify its argument', () => {
    const from = at('2025-01-31T00:00:00.000Z');
    addMonthsUtc(from, 1);
    expect(iso(from)).toBe('2025-01-31T00:00:00.000Z');
  });

  it('refuses bad input', () => {
    expect(() => addMonthsUtc(new Date(Number.NaN), 1)).toThrow(RangeError);
    expect(() => addMonthsUtc(at('2025-01-01T00:00:00Z'), 1.5)).toThrow(RangeError);
    expect(() => addMonthsUtc(at('2025-01-01T00:00:00Z'), Number.NaN)).toThrow(RangeError);
  });

  const anyDate = fc.date({ min: at('1970-01-01T00:00:00Z'), max: at('2300-01-01T00:00:00Z'), noInvalidDate: true });

  it('keeps the time of day and the day when the target month has it; else the last day', () => {
    fc.assert(
      fc.property(anyDate, fc.integer({ min: -1200, max: 1200 }), (from, months) => {
        const to = addMonthsUtc(from, months);
        const timeOfDay = (d: Date) => ((d.getTime() % DAY) + DAY) % DAY;
        expect(timeOfDay(to)).toBe(timeOfDay(from));
        expect((to.getUTCFullYear() * 12 + to.getUTCMonth()) - (from.getUTCFullYear() * 12 + from.getUTCMonth())).toBe(months);
        if (to.getUTCDate() !== from.getUTCDate()) {
          expect(to.getUTCDate()).toBeLessThan(from.getUTCDate());
          expect(new Date(to.getTime() + DAY).getUTCDate()).toBe(1); // clamped: the last day of its month
        }
      }),
    );
  });

  it('is monotonic in months', () => {
    fc.assert(
      fc.property(anyDate, fc.integer({ min: -600, max: 600 }), (from, months) => {
        expect(addMonthsUtc(from, months + 1).getTime()).toBeGreaterThan(addMonthsUtc(from, months).getTime());
      }),
    );
  });
});

describe('noticeDeadline', () => {
  it.each([
    ['2025-03-01T00:00:00.000Z', 1, '2025-02-28T00:00:00.000Z'],
    ['2025-03-01T00:00:00.000Z', 30, '2025-01-30T00:00:00.000Z'],
    ['2026-01-01T12:00:00.000Z', 365, '2025-01-01T12:00:00.000Z'],
    ['2025-03-01T00:00:00.000Z', 0, '2025-03-01T00:00:00.000Z'],
  ])('%s less %d days = %s', (end, days, deadline) => {
    expect(iso(noticeDeadline(at(end), days))).toBe(deadline);
  });

  it('counts whole 24 h days, not calendar days', () => {
    expect(at('2025-06-15T08:00:00Z').getTime() - noticeDeadline(at('2025-06-15T08:00:00Z'), 90).getTime()).toBe(90 * DAY);
  });

  it('refuses bad input', () => {
    expect(() => noticeDeadline(at('2025-03-01T00:00:00Z'), 1.5)).toThrow(RangeError);
    expect(() => noticeDeadline(at('2025-03-01T00:00:00Z'), -1)).toThrow(RangeError);
    expect(() => noticeDeadline(new Date(Number.NaN), 1)).toThrow(RangeError);
  });
});

describe('leasePeriod', () => {
  it('gives the first term', () => {
    const p = leasePeriod(at('2025-01-31T09:00:00.000Z'), 1, 7);
    expect([iso(p.startsAt), iso(p.endsAt), iso(p.noticeDeadline)]).toEqual([
      '2025-01-31T09:00:00.000Z', '2025-02-28T09:00:00.000Z', '2025-02-21T09:00:00.000Z',
    ]);
  });

  it('returns its own startsAt (not the caller\'s object)', () => {
    const start = at('2025-01-01T00:00:00.000Z');
    expect(leasePeriod(start, 12, 30).startsAt).not.toBe(start);
  });

  it('refuses a term that is not a positive integer', () => {
    expect(() => leasePeriod(at('2025-01-01T00:00:00Z'), 0, 30)).toThrow(RangeError);
    expect(() => leasePeriod(at('2025-01-01T00:00:00Z'), 1.5, 30)).toThrow(RangeError);
  });
});

describe('renewedPeriod', () => {
  it('term 1 is the first term', () => {
    const start = at('2025-01-31T09:00:00.000Z');
    const first = leasePeriod(start, 1, 7);
    const again = renewedPeriod(start, 1, 1, 7);
    expect([iso(again.endsAt), iso(again.noticeDeadline)]).toEqual([iso(first.endsAt), iso(first.noticeDeadline)]);
  });

  it('does not drift: a monthly lease from Jan 31 ends on each month\'s last day', () => {
    const start = at('2025-01-31T00:00:00.000Z');
    const ends = [1, 2, 3, 4, 5, 12, 13].map((n) => iso(renewedPeriod(start, 1, n, 1).endsAt).slice(0, 10));
    expect(ends).toEqual(['2025-02-28', '2025-03-31', '2025-04-30', '2025-05-31', '2025-06-30', '2026-01-31', '2026-02-28']);
  });

  it('differs from chaining addMonthsUtc, which drifts (that is why terms count from the start)', () => {
    const start = at('2025-01-31T00:00:00.000Z');
    let chained = start;
    for (let n = 0; n < 3; n++) chained = addMonthsUtc(chained, 1);
    expect(iso(chained).slice(0, 10)).toBe('2025-04-28');
    expect(iso(renewedPeriod(start, 1, 3, 1).endsAt).slice(0, 10)).toBe('2025-04-30');
  });

  it('each term starts where the previous ended, and ends are term x months from the start', () => {
    fc.assert(
      fc.property(
        fc.date({ min: at('2000-01-01T00:00:00Z'), max: at('2100-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 365 }),
        (start, months, n, notice) => {
          const next = renewedPeriod(start, months, n + 1, notice);
          const prev = renewedPeriod(start, months, n, notice);
          expect(next.endsAt.getTime()).toBe(addMonthsUtc(start, months * (n + 1)).getTime());
          expect(next.endsAt.getTime()).toBeGreaterThan(prev.endsAt.getTime());
          expect(next.noticeDeadline.getTime()).toBeGreaterThan(prev.noticeDeadline.getTime());
          expect(next.endsAt.getTime() - next.noticeDeadline.getTime()).toBe(notice * DAY);
        },
      ),
    );
  });

  it('a short later term may need notice before it starts (30 days on a February term)', () => {
    const start = at('2025-01-01T00:00:00.000Z');
    const second = renewedPeriod(start, 1, 2, 30);
    expect(iso(second.endsAt)).toBe('2025-03-01T00:00:00.000Z');
    expect(iso(second.noticeDeadline)).toBe('2025-01-30T00:00:00.000Z');
  });

  it('refuses a term number that is not a positive integer', () => {
    expect(() => renewedPeriod(at('2025-01-01T00:00:00Z'), 1, 0, 1)).toThrow(RangeError);
    expect(() => renewedPeriod(at('2025-01-01T00:00:00Z'), 1, 1.5, 1)).toThrow(RangeError);
    expect(() => renewedPeriod(at('2025-01-01T00:00:00Z'), 0, 1, 1)).toThrow(RangeError);
  });
});

describe('checkLeaseTerms', () => {
  const START = at('2025-01-01T00:00:00.000Z');
  const check = (termMonths: unknown, noticeDays: unknown, minTermMonths = 1, startsAt = START) =>
    checkLeaseTerms({ termMonths, noticeDays, minTermMonths, startsAt });

  it.each<[string, unknown, unknown, number, string | null, string | null]>([
    ['a year, 30 days', 12, 30, 12, null, null],
    ['the shortest term', 1, 1, 1, null, null],
    ['the longest term, longest notice', 120, 365, 1, null, null],
    ['exactly the listing minimum', 6, 30, 6, null, null],
    ['a string term', '12', 30, 1, 'LEASE.TERM_NOT_INTEGER', 'termMonths'],
    ['a fractional term', 12.5, 30, 1, 'LEASE.TERM_NOT_INTEGER', 'termMonths'],
    ['a NaN term', Number.NaN, 30, 1, 'LEASE.TERM_NOT_INTEGER', 'termMonths'],
    ['a missing term', undefined, 30, 1, 'LEASE.TERM_NOT_INTEGER', 'termMonths'],
    ['an infinite term', Number.POSITIVE_INFINITY, 30, 1, 'LEASE.TERM_NOT_INTEGER', 'termMonths'],
    ['below the listing minimum', 5, 30, 6, 'LEASE.TERM_TOO_SHORT', 'termMonths'],
    ['zero months', 0, 30, 1, 'LEASE.TERM_TOO_SHORT', 'termMonths'],
    ['zero months, listing minimum 0', 0, 30, 0, 'LEASE.TERM_TOO_SHORT', 'termMonths'],
    ['negative months', -12, 30, 1, 'LEASE.TERM_TOO_SHORT', 'termMonths'],
    ['121 months', 121, 30, 1, 'LEASE.TERM_TOO_LONG', 'termMonths'],
    ['a string notice', 12, '30', 1, 'LEASE.NOTICE_NOT_INTEGER', 'noticeDays'],
    ['a fractional notice', 12, 0.5, 1, 'LEASE.NOTICE_NOT_INTEGER', 'noticeDays'],
    ['a null notice', 12, null, 1, 'LEASE.NOTICE_NOT_INTEGER', 'noticeDays'],
    ['no notice', 12, 0, 1, 'LEASE.NOTICE_OUT_OF_RANGE', 'noticeDays'],
    ['negative notice', 12, -1, 1, 'LEASE.NOTICE_OUT_OF_RANGE', 'noticeDays'],
    ['366 days notice', 120, 366, 1, 'LEASE.NOTICE_OUT_OF_RANGE', 'noticeDays'],
    // Jan 2025 has 31 days: 30 days' notice leaves one day, 31 leaves none.
    ['30 days on a 31-day term', 1, 30, 1, null, null],
    ['31 days on a 31-day term', 1, 31, 1, 'LEASE.NOTICE_LONGER_THAN_TERM', 'noticeDays'],
    ['365 days on a 12-month term (365 days)', 12, 365, 1, 'LEASE.NOTICE_LONGER_THAN_TERM', 'noticeDays'],
    ['364 days on a 12-month term', 12, 364, 1, null, null],
    ['bad term and bad notice: the term is reported', 0, 0, 1, 'LEASE.TERM_TOO_SHORT', 'termMonths'],
  ])('%s', (_what, term, notice, min, code, field) => {
    const r = check(term, notice, min);
    if (code === null) expect(r).toEqual({ ok: true });
    else expect(r).toMatchObject({ ok: false, code, field, message: expect.any(String) });
  });

  it('measures the first term from its own start (February is short)', () => {
    const feb = at('2025-02-01T00:00:00.000Z');
    expect(check(1, 27, 1, feb)).toEqual({ ok: true });
    expect(check(1, 28, 1, feb)).toMatchObject({ ok: false, code: 'LEASE.NOTICE_LONGER_THAN_TERM' });
    expect(check(1, 28, 1, at('2024-02-01T00:00:00.000Z'))).toEqual({ ok: true }); // leap year: 29 days
  });

  it('names the listing minimum in the message', () => {
    expect(check(5, 30, 6)).toMatchObject({ message: 'this listing leases for at least 6 months; 5 is too short' });
    expect(check(0, 30, 1)).toMatchObject({ message: 'this listing leases for at least 1 month; 0 is too short' });
  });

  it('says what is wrong in the other messages', () => {
    expect(check(121, 30)).toMatchObject({ message: 'a lease term is at most 120 months; 121 is too long' });
    expect(check('12', 30)).toMatchObject({ message: 'termMonths must be a whole number of months, not "12"' });
    expect(check(12, 400)).toMatchObject({ message: 'noticeDays must be from 1 to 365, not 400' });
    expect(check(12, 1.5)).toMatchObject({ message: 'noticeDays must be a whole number of days, not 1.5' });
    expect(check(1, 31)).toMatchObject({
      message: "31 days' notice does not fit a first term of 31 days (2025-01-01T00:00:00.000Z to 2025-02-01T00:00:00.000Z): the notice deadline must fall after the lease starts",
    });
  });

  it('accepts exactly the terms whose first notice deadline falls after the start', () => {
    fc.assert(
      fc.property(
        fc.date({ min: at('2000-01-01T00:00:00Z'), max: at('2100-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 365 }),
        (start, term, notice) => {
          const p = leasePeriod(start, term, notice);
          expect(check(term, notice, 1, start).ok).toBe(p.noticeDeadline.getTime() > start.getTime());
        },
      ),
    );
  });
});
