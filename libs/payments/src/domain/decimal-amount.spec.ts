import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parseDecimalAmount } from './decimal-amount.js';

describe('parseDecimalAmount', () => {
  it.each([
    ['1250.00', 'USD', 125000n],
    ['1250', 'USD', 125000n],
    ['1250.5', 'USD', 125050n],
    ['-30.01', 'EUR', -3001n],
    ['+7', 'GBP', 700n],
    [' 12.30 ', 'USD', 1230n],
    ['1250', 'JPY', 1250n],
    ['1250.000', 'JPY', 1250n],
    ['1.234', 'KWD', 1234n],
    ['0.00', 'USD', 0n],
  ])('%s %s = %p minor units', (text, currency, minor) => {
    expect(parseDecimalAmount(text, currency)).toEqual({ ok: true, minor });
  });

  it.each([
    ['1,250.00', 'USD', 'AMOUNT.MALFORMED'],
    ['12.3.4', 'USD', 'AMOUNT.MALFORMED'],
    ['', 'USD', 'AMOUNT.MALFORMED'],
    ['1e3', 'USD', 'AMOUNT.MALFORMED'],
    ['.5', 'USD', 'AMOUNT.MALFORMED'],
    ['NaN', 'USD', 'AMOUNT.MALFORMED'],
    ['12.345', 'USD', 'AMOUNT.TOO_PRECISE'],
    ['12.5', 'JPY', 'AMOUNT.TOO_PRECISE'],
    ['10000000000000.01', 'USD', 'AMOUNT.TOO_LARGE'],
    ['12.00', 'XXQ', 'AMOUNT.UNKNOWN_CURRENCY'],
  ])('%p %s is refused: %s', (text, currency, code) => {
    expect(parseDecimalAmount(text, currency)).toMatchObject({ ok: false, code });
  });

  it('reads back what integer minor units print as, for every amount (2 decimals)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 14n), max: 10n ** 14n }), (minor) => {
        const abs = minor < 0n ? -minor : minor;
        const text = `${minor < 0n ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
        expect(parseDecimalAmount(text, 'USD')).toEqual({ ok: true, minor });
      }),
    );
  });
});
