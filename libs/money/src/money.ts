import { currencyExponent, isCurrency } from './currencies.js';

/** An amount in integer minor units (cents for USD, yen for JPY, fils for KWD). May be negative. */
export interface Money {
  readonly amountMinor: bigint;
  readonly currency: string;
}

/** Money as the API sends and receives it. */
export interface MoneyJson {
  amountMinor: number;
  currency: string;
}

export type MoneyErrorCode = 'MONEY.INVALID' | 'MONEY.NOT_INTEGER' | 'MONEY.NOT_POSITIVE' | 'MONEY.TOO_LARGE' | 'MONEY.UNKNOWN_CURRENCY';

export interface MoneyError {
  readonly code: MoneyErrorCode;
  readonly message: string;
  readonly field: 'amountMinor' | 'currency' | '';
}

export type MoneyResult = { ok: true; value: Money } | { ok: false; error: MoneyError };

/**
 * 10^15 minor units (10 trillion USD): far above any real deal, and well inside
 * Number.MAX_SAFE_INTEGER (~9 * 10^15), so every accepted amount survives JSON exactly.
 */
export const MAX_AMOUNT_MINOR = 10n ** 15n;

function fail(code: MoneyErrorCode, field: MoneyError['field'], message: string): MoneyResult {
  return { ok: false, error: { code, field, message } };
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? `${value}n` : String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * Untrusted JSON `{ amountMinor, currency }` to Money. amountMinor must be a JSON integer
 * (a number, not a string), positive unless allowZero, at most MAX_AMOUNT_MINOR; currency a
 * known ISO 4217 code. Anything else, extra fields included, is refused with the first problem.
 */
export function parseMoney(input: unknown, o: { allowZero?: boolean } = {}): MoneyResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return fail('MONEY.INVALID', '', 'money must be an object { amountMinor, currency }');
  }
  const extra = Object.keys(input).filter((k) => k !== 'amountMinor' && k !== 'currency');
  if (extra.length > 0) return fail('MONEY.INVALID', '', `unexpected field ${show(extra[0])} in money`);
  const { amountMinor: amount, currency } = input as Record<string, unknown>;

  if (!Object.hasOwn(input, 'amountMinor')) return fail('MONEY.INVALID', 'amountMinor', 'amountMinor is required');
  if (typeof amount !== 'number' || !Number.isFinite(amount)) {
    return fail('MONEY.INVALID', 'amountMinor', `amountMinor must be a JSON number of minor units, not ${show(amount)}`);
  }
  if (!Number.isInteger(amount)) {
    return fail('MONEY.NOT_INTEGER', 'amountMinor', `amountMinor must be a whole number of minor units (1234 for USD 12.34), not ${amount}`);
  }
  if (amount < 0 || (amount === 0 && !o.allowZero)) {
    return fail('MONEY.NOT_POSITIVE', 'amountMinor', `amountMinor must be ${o.allowZero ? 'zero or more' : 'more than zero'}, not ${amount}`);
  }
  if (amount > Number(MAX_AMOUNT_MINOR)) {
    return fail('MONEY.TOO_LARGE', 'amountMinor', `amountMinor must be at most ${MAX_AMOUNT_MINOR}`);
  }

  if (!Object.hasOwn(input, 'currency')) return fail('MONEY.INVALID', 'currency', 'currency is required');
  if (typeof currency !== 'string') return fail('MONEY.INVALID', 'currency', `currency must be an ISO 4217 code string, not ${show(currency)}`);
  if (currencyExponent(currency) === null) {
    const hint = isCurrency(currency.toUpperCase()) ? ` (codes are upper case: ${show(currency.toUpperCase())})` : '';
    return fail('MONEY.UNKNOWN_CURRENCY', 'currency', `${show(currency)} is not a known ISO 4217 currency${hint}`);
  }
  // BigInt(-0) is 0n, so a JSON -0 with allowZero comes out as plain zero.
  return { ok: true, value: { amountMinor: BigInt(amount), currency } };
}

/** Money for trusted values (constants, computed results): throws on an unknown currency. */
export function money(amountMinor: bigint, currency: string): Money {
  if (typeof amountMinor !== 'bigint') throw new TypeError(`amountMinor must be a bigint, not ${show(amountMinor)}`);
  if (!isCurrency(currency)) throw new RangeError(`${show(currency)} is not a known ISO 4217 currency`);
  return { amountMinor, currency };
}

/** Money for the API. Throws rather than lose precision past Number.MAX_SAFE_INTEGER. */
export function toMoneyJson(m: Money): MoneyJson {
  const n = Number(m.amountMinor);
  if (!Number.isSafeInteger(n)) throw new RangeError(`${m.amountMinor} ${m.currency} does not fit a JSON number exactly`);
  return { amountMinor: n, currency: m.currency };
}

/** 'USD 1,234.56', 'JPY 1,235', 'KWD -0.005': code, sign, grouped units, exact minor digits. */
export function formatMoney(m: Money): string {
  const exponent = currencyExponent(m.currency);
  if (exponent === null) throw new RangeError(`${show(m.currency)} is not a known ISO 4217 currency`);
  const negative = m.amountMinor < 0n;
  const digits = (negative ? -m.amountMinor : m.amountMinor).toString().padStart(exponent + 1, '0');
  const units = digits.slice(0, digits.length - exponent).replace(/\B(?=(\d{3})+$)/g, ',');
  const minor = exponent > 0 ? `.${digits.slice(digits.length - exponent)}` : '';
  return `${m.currency} ${negative ? '-' : ''}${units}${minor}`;
}
