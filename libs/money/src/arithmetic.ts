import { type Money } from './money.js';

/** Adding or comparing amounts in two currencies is a bug, never a conversion. */
export class CurrencyMismatchError extends Error {
  readonly code = 'MONEY.CURRENCY_MISMATCH';
  constructor(a: string, b: string) {
    super(`cannot combine ${a} with ${b}`);
    this.name = 'CurrencyMismatchError';
  }
}

function sameCurrency(a: Money, b: Money): string {
  if (a.currency !== b.currency) throw new CurrencyMismatchError(a.currency, b.currency);
  return a.currency;
}

export function add(a: Money, b: Money): Money {
  return { amountMinor: a.amountMinor + b.amountMinor, currency: sameCurrency(a, b) };
}

export function subtract(a: Money, b: Money): Money {
  return { amountMinor: a.amountMinor - b.amountMinor, currency: sameCurrency(a, b) };
}

/** m times an integer factor (a count of addresses, of months). Fractions have no place here. */
export function multiply(m: Money, factor: bigint | number): Money {
  if (typeof factor === 'number' && !Number.isSafeInteger(factor)) {
    throw new RangeError(`factor must be a safe integer, not ${factor}`);
  }
  if (typeof factor !== 'number' && typeof factor !== 'bigint') throw new TypeError('factor must be a bigint or an integer number');
  return { amountMinor: m.amountMinor * BigInt(factor), currency: m.currency };
}
