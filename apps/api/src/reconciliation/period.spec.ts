import { describe, expect, it } from '@jest/globals';
import type { ProblemError } from '@app/platform';
import { parseInstant, periodOf } from './period.js';

describe('parseInstant', () => {
  it.each([
    ['2026-11-01', '2026-11-01T00:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['2026-11-01T12:30Z', '2026-11-01T12:30:00.000Z'],
    ['2026-11-01T12:30:15.123456Z', '2026-11-01T12:30:15.123Z'],
    ['2026-11-01T01:00:00+02:00', '2026-10-31T23:00:00.000Z'],
    ['2026-11-01T00:00:00-05:30', '2026-11-01T05:30:00.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(parseInstant(text)?.toISOString()).toBe(iso);
  });

  it.each(['2026-02-29', '2026-13-01', '2026-11-31', '2026-11-01T24:00Z', '2026-11-01T12:00', '2026-11-01 12:00Z', '1970-01-01', '26-11-01', 'now', ''])(
    'refuses %j',
    (text) => {
      expect(parseInstant(text)).toBeNull();
    },
  );
});

describe('periodOf', () => {
  const rules = { code: 'X.INVALID_PERIOD', required: true, max: { days: 2, code: 'X.TOO_LONG' } } as const;
  const refusal = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return err as ProblemError;
    }
    throw new Error('not refused');
  };

  it('answers the half-open period', () => {
    expect(periodOf({ from: '2026-11-01', to: '2026-11-03' }, rules)).toEqual({ from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-03T00:00:00Z') });
  });

  it('lists every offending end under the caller’s code', () => {
    const e = refusal(() => periodOf({ to: 'x' }, rules));
    expect(e).toMatchObject({ status: 422, code: 'X.INVALID_PERIOD' });
    expect(e.errors).toEqual([expect.objectContaining({ field: 'query.from', code: 'PERIOD.REQUIRED' }), expect.objectContaining({ field: 'query.to', code: 'PERIOD.INVALID_DATE' })]);
    expect(refusal(() => periodOf({ from: '2026-11-02', to: '2026-11-01' }, rules)).errors).toEqual([expect.objectContaining({ code: 'PERIOD.NOT_INCREASING' })]);
    expect(refusal(() => periodOf({ from: '2026-11-01', to: '2026-11-03T00:00:00.001Z' }, rules)).code).toBe('X.TOO_LONG');
  });

  it('leaves ends open when they are optional', () => {
    expect(periodOf({}, { code: 'X.INVALID_PERIOD', required: false })).toEqual({ from: null, to: null });
  });
});
