import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CurrencyMismatchError, add, multiply, subtract } from './arithmetic.js';
import { CURRENCIES } from './currencies.js';
import { type Money } from './money.js';

const usd = (n: bigint): Money => ({ amountMinor: n, currency: 'USD' });
const amount = fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n });
const moneyIn = (currency: string) => amount.map((n): Money => ({ amountMinor: n, currency }));

describe('money arithmetic', () => {
  it('adds, subtracts and multiplies exactly, beyond the range of doubles', () => {
    expect(add(usd(150n), usd(275n))).toEqual(usd(425n));
    expect(subtract(usd(150n), usd(275n))).toEqual(usd(-125n));
    expect(multiply(usd(40n), 1024)).toEqual(usd(40_960n));
    expect(multiply(usd(40n), 0n)).toEqual(usd(0n));
    expect(multiply(usd(-3n), -2)).toEqual(usd(6n));
    expect(add(usd(2n ** 60n), usd(1n))).toEqual(usd(2n ** 60n + 1n));
  });

  it.each([
    [add, 'add'],
    [subtract, 'subtract'],
  ])('%s refuses two currencies', (op) => {
    const eur: Money = { amountMinor: 1n, currency: 'EUR' };
    expect(() => op(usd(1n), eur)).toThrow(CurrencyMismatchError);
    expect(() => op(eur, usd(1n))).toThrow('cannot combine EUR with USD');
  });

  it.each([1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])('multiply refuses the factor %d', (factor) => {
    expect(() => multiply(usd(1n), factor)).toThrow(RangeError);
  });

  it('subtract undoes add, and add is commutative', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CURRENCIES).chain((c) => fc.tuple(moneyIn(c), moneyIn(c))), ([a, b]) => {
        expect(subtract(add(a, b), b)).toEqual(a);
        expect(add(subtract(a, b), b)).toEqual(a);
        expect(add(a, b)).toEqual(add(b, a));
      }),
      { numRuns: 1000 },
    );
  });

  it('throws on any currency mismatch', () => {
    const two = fc.uniqueArray(fc.constantFrom(...CURRENCIES), { minLength: 2, maxLength: 2 });
    fc.assert(
      fc.property(two, amount, amount, ([c1, c2], x, y) => {
        const a = { amountMinor: x, currency: c1! };
        const b = { amountMinor: y, currency: c2! };
        expect(() => add(a, b)).toThrow(CurrencyMismatchError);
        expect(() => subtract(a, b)).toThrow(CurrencyMismatchError);
      }),
      { numRuns: 300 },
    );
  });

  it('multiply is repeated addition', () => {
    fc.assert(
      fc.property(moneyIn('EUR'), fc.integer({ min: 0, max: 50 }), (m, k) => {
        let sum: Money = { amountMinor: 0n, currency: 'EUR' };
        for (let i = 0; i < k; i++) sum = add(sum, m);
        expect(multiply(m, k)).toEqual(sum);
        expect(multiply(m, BigInt(k))).toEqual(sum);
      }),
      { numRuns: 300 },
    );
  });
});
