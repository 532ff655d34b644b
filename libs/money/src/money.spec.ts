import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CURRENCIES } from './currencies.js';
import { MAX_AMOUNT_MINOR, formatMoney, money, parseMoney, toMoneyJson } from './money.js';

const MAX = Number(MAX_AMOUNT_MINOR);

describe('parseMoney', () => {
  it.each([
    [{ amountMinor: 1, currency: 'USD' }, 1n, 'USD'],
    [{ amountMinor: 12_345, currency: 'EUR' }, 12_345n, 'EUR'],
    [{ currency: 'JPY', amountMinor: 5000 }, 5000n, 'JPY'],
    [{ amountMinor: MAX, currency: 'KWD' }, MAX_AMOUNT_MINOR, 'KWD'],
    [{ amountMinor: 1e3, currency: 'GBP' }, 1000n, 'GBP'],
    [JSON.parse('{"amountMinor": 100.0, "currency": "CHF"}'), 100n, 'CHF'],
  ])('accepts %j', (input, amountMinor, currency) => {
    expect(parseMoney(input)).toEqual({ ok: true, value: { amountMinor, currency } });
  });

  it('keeps 10^15 minor units exactly, and the bound is inside the safe integers', () => {
    expect(MAX_AMOUNT_MINOR).toBe(1_000_000_000_000_000n);
    expect(Number.isSafeInteger(MAX)).toBe(true);
  });

  it.each([
    ['null', null, 'MONEY.INVALID', ''],
    ['a string', '12.34 USD', 'MONEY.INVALID', ''],
    ['a number', 1234, 'MONEY.INVALID', ''],
    ['an array', [1234, 'USD'], 'MONEY.INVALID', ''],
    ['an extra field', { amountMinor: 1, currency: 'USD', note: 'x' }, 'MONEY.INVALID', ''],
    ['a smuggled prototype', JSON.parse('{"amountMinor": 1, "currency": "USD", "__proto__": {"x": 1}}'), 'MONEY.INVALID', ''],
    ['a major-unit field', { amount: 12.34, currency: 'USD' }, 'MONEY.INVALID', ''],
    ['no amount', { currency: 'USD' }, 'MONEY.INVALID', 'amountMinor'],
    ['an amount as a string', { amountMinor: '1234', currency: 'USD' }, 'MONEY.INVALID', 'amountMinor'],
    ['an amount as null', { amountMinor: null, currency: 'USD' }, 'MONEY.INVALID', 'amountMinor'],
    ['an amount as a bigint', { amountMinor: 1234n, currency: 'USD' }, 'MONEY.INVALID', 'amountMinor'],
    ['an amount as a boolean', { amountMinor: true, currency: 'USD' }, 'MONEY.INVALID', 'amountMinor'],
    ['NaN', { amountMinor: Number.NaN, currency: 'USD' }, 'MONEY.INVALID', 'amountMinor'],
    ['Infinity', { amountMinor: Number.POSITIVE_INFINITY, currency: 'USD' }, 'MONEY.INVALID', 'amountMinor'],
    ['-Infinity', { amountMinor: Number.NEGATIVE_INFINITY, currency: 'USD' }, 'MONEY.INVALID', 'amountMinor'],
    ['a fraction', { amountMinor: 12.34, currency: 'USD' }, 'MONEY.NOT_INTEGER', 'amountMinor'],
    ['a tiny fraction', { amountMinor: 1e-7, currency: 'USD' }, 'MONEY.NOT_INTEGER', 'amountMinor'],
    ['a negative fraction', { amountMinor: -0.5, currency: 'USD' }, 'MONEY.NOT_INTEGER', 'amountMinor'],
    ['zero', { amountMinor: 0, currency: 'USD' }, 'MONEY.NOT_POSITIVE', 'amountMinor'],
    ['negative zero', { amountMinor: -0, currency: 'USD' }, 'MONEY.NOT_POSITIVE', 'amountMinor'],
    ['a negative amount', { amountMinor: -100, currency: 'USD' }, 'MONEY.NOT_POSITIVE', 'amountMinor'],
    ['one above the maximum', { amountMinor: MAX + 1, currency: 'USD' }, 'MONEY.TOO_LARGE', 'amountMinor'],
    ['an amount past safe integers', { amountMinor: 2 ** 60, currency: 'USD' }, 'MONEY.TOO_LARGE', 'amountMinor'],
    ['1e300', { amountMinor: 1e300, currency: 'USD' }, 'MONEY.TOO_LARGE', 'amountMinor'],
    ['no currency', { amountMinor: 1 }, 'MONEY.INVALID', 'currency'],
    ['a numeric currency', { amountMinor: 1, currency: 840 }, 'MONEY.INVALID', 'currency'],
    ['a null currency', { amountMinor: 1, currency: null }, 'MONEY.INVALID', 'currency'],
    ['an unknown currency', { amountMinor: 1, currency: 'ABC' }, 'MONEY.UNKNOWN_CURRENCY', 'currency'],
    ['a lower-case currency', { amountMinor: 1, currency: 'usd' }, 'MONEY.UNKNOWN_CURRENCY', 'currency'],
    ['XXX', { amountMinor: 1, currency: 'XXX' }, 'MONEY.UNKNOWN_CURRENCY', 'currency'],
    ['XTS', { amountMinor: 1, currency: 'XTS' }, 'MONEY.UNKNOWN_CURRENCY', 'currency'],
    ['a currency symbol', { amountMinor: 1, currency: '$' }, 'MONEY.UNKNOWN_CURRENCY', 'currency'],
  ])('refuses %s', (_what, input, code, field) => {
    const r = parseMoney(input);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatchObject({ code, field });
    expect(!r.ok && r.error.message.length).toBeGreaterThan(0);
  });

  it('names the upper-case code when a lower-case one is sent', () => {
    const r = parseMoney({ amountMinor: 1, currency: 'eur' });
    expect(!r.ok && r.error.message).toContain('"EUR"');
  });

  it('accepts zero only when asked, and never a negative amount', () => {
    expect(parseMoney({ amountMinor: 0, currency: 'USD' }, { allowZero: true })).toEqual({ ok: true, value: { amountMinor: 0n, currency: 'USD' } });
    expect(parseMoney({ amountMinor: -0, currency: 'USD' }, { allowZero: true })).toEqual({ ok: true, value: { amountMinor: 0n, currency: 'USD' } });
    const negative = parseMoney({ amountMinor: -1, currency: 'USD' }, { allowZero: true });
    expect(!negative.ok && negative.error.code).toBe('MONEY.NOT_POSITIVE');
  });

  it('reports the amount before the currency when both are wrong', () => {
    const r = parseMoney({ amountMinor: 1.5, currency: 'usd' });
    expect(!r.ok && r.error.code).toBe('MONEY.NOT_INTEGER');
  });

  it('round-trips through JSON for every valid amount and currency', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX }), fc.constantFrom(...CURRENCIES), (amountMinor, currency) => {
        const json = JSON.parse(JSON.stringify({ amountMinor, currency })) as unknown;
        const r = parseMoney(json);
        expect(r).toEqual({ ok: true, value: { amountMinor: BigInt(amountMinor), currency } });
        expect(r.ok && toMoneyJson(r.value)).toEqual({ amountMinor, currency });
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses every fractional or out-of-range number without throwing', () => {
    const bad = fc.oneof(
      fc.double({ noInteger: true }),
      fc.integer({ min: -(2 ** 40), max: 0 }),
      fc.double({ min: MAX + 1, noNaN: true }),
    );
    fc.assert(
      fc.property(bad, (amountMinor) => {
        expect(parseMoney({ amountMinor, currency: 'USD' }).ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('money and toMoneyJson', () => {
  it('builds trusted values and refuses bad ones', () => {
    expect(money(100n, 'USD')).toEqual({ amountMinor: 100n, currency: 'USD' });
    expect(money(-5n, 'JPY')).toEqual({ amountMinor: -5n, currency: 'JPY' });
    expect(() => money(100n, 'usd')).toThrow(RangeError);
    expect(() => money(100 as unknown as bigint, 'USD')).toThrow(TypeError);
  });

  it('refuses to lose precision on the way to JSON', () => {
    expect(toMoneyJson(money(-12n, 'EUR'))).toEqual({ amountMinor: -12, currency: 'EUR' });
    expect(toMoneyJson(money(BigInt(Number.MAX_SAFE_INTEGER), 'EUR')).amountMinor).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => toMoneyJson(money(BigInt(Number.MAX_SAFE_INTEGER) + 1n, 'EUR'))).toThrow(RangeError);
  });
});

describe('formatMoney', () => {
  it.each([
    [123_456n, 'USD', 'USD 1,234.56'],
    [5n, 'USD', 'USD 0.05'],
    [0n, 'USD', 'USD 0.00'],
    [-123_456n, 'EUR', 'EUR -1,234.56'],
    [100_000_000n, 'USD', 'USD 1,000,000.00'],
    [1_234_567n, 'JPY', 'JPY 1,234,567'],
    [0n, 'JPY', 'JPY 0'],
    [5n, 'KWD', 'KWD 0.005'],
    [1_234_567n, 'BHD', 'BHD 1,234.567'],
    [MAX_AMOUNT_MINOR, 'USD', 'USD 10,000,000,000,000.00'],
  ])('%d %s is %s', (amountMinor, currency, text) => {
    expect(formatMoney({ amountMinor, currency })).toBe(text);
  });

  it('refuses an unknown currency', () => {
    expect(() => formatMoney({ amountMinor: 1n, currency: 'XXX' })).toThrow(RangeError);
  });

  it('shows exactly the amount: stripping separators gives back the minor units', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.constantFrom(...CURRENCIES), (amountMinor, currency) => {
        const text = formatMoney({ amountMinor, currency });
        expect(text.startsWith(`${currency} `)).toBe(true);
        expect(BigInt(text.slice(4).replace(/[,.]/g, ''))).toBe(amountMinor);
      }),
      { numRuns: 500 },
    );
  });
});
