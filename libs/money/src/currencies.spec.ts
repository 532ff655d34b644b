import { describe, expect, it } from '@jest/globals';
import { CURRENCIES, currencyExponent, isCurrency } from './currencies.js';

describe('ISO 4217 currencies', () => {
  it.each([
    ['USD', 2], ['EUR', 2], ['GBP', 2], ['JPY', 0], ['CHF', 2], ['SEK', 2], ['NOK', 2], ['DKK', 2], ['PLN', 2], ['CZK', 2],
    ['HUF', 2], ['CAD', 2], ['AUD', 2], ['NZD', 2], ['SGD', 2], ['HKD', 2], ['CNY', 2], ['INR', 2], ['BRL', 2], ['MXN', 2],
    ['ZAR', 2], ['KRW', 0], ['BHD', 3], ['KWD', 3], ['JOD', 3], ['OMR', 3], ['TND', 3], ['IQD', 3], ['LYD', 3], ['CLP', 0],
    ['ISK', 0], ['VND', 0], ['UGX', 0], ['XOF', 0], ['XAF', 0], ['AED', 2], ['SAR', 2], ['ILS', 2], ['TRY', 2], ['TWD', 2],
    ['THB', 2], ['IDR', 2], ['MYR', 2], ['PHP', 2], ['RON', 2], ['UAH', 2], ['KZT', 2], ['EGP', 2], ['NGN', 2], ['COP', 2],
  ])('%s has %d decimal places', (code, exponent) => {
    expect(currencyExponent(code)).toBe(exponent);
    expect(isCurrency(code)).toBe(true);
  });

  it.each([
    ['lower case', 'usd'], ['mixed case', 'Usd'], ['no currency', 'XXX'], ['testing code', 'XTS'], ['gold', 'XAU'],
    ['special drawing right', 'XDR'], ['fund code', 'USN'], ['withdrawn', 'HRK'], ['replaced', 'ANG'], ['made up', 'ABC'],
    ['too short', 'US'], ['too long', 'USDD'], ['padded', ' USD'], ['empty', ''], ['numeric code', '840'],
    ['prototype key', '__proto__'], ['inherited key', 'constructor'], ['method name', 'toString'],
    ['number', 840], ['null', null], ['undefined', undefined], ['object', { code: 'USD' }], ['boxed string', Object('USD')],
  ])('refuses %s (%j)', (_what, code) => {
    expect(currencyExponent(code)).toBeNull();
    expect(isCurrency(code)).toBe(false);
  });

  it('lists each code once, in order, as three capital letters with 0, 2 or 3 decimals', () => {
    expect(CURRENCIES.length).toBeGreaterThan(140);
    expect(new Set(CURRENCIES).size).toBe(CURRENCIES.length);
    expect([...CURRENCIES].sort()).toEqual(CURRENCIES);
    for (const code of CURRENCIES) {
      expect(code).toMatch(/^[A-Z]{3}$/);
      expect([0, 2, 3]).toContain(currencyExponent(code));
    }
    expect(Object.isFrozen(CURRENCIES)).toBe(true);
  });
});
