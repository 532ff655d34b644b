import { MAX_AMOUNT_MINOR, currencyExponent } from '@app/money';

export type DecimalAmountError = 'AMOUNT.MALFORMED' | 'AMOUNT.TOO_PRECISE' | 'AMOUNT.TOO_LARGE' | 'AMOUNT.UNKNOWN_CURRENCY';

/**
 * A decimal amount as banks print it ("1250.00", "-30", "1,250.00" is refused: thousands
 * separators are ambiguous across locales) in integer minor units of `currency`, exactly:
 * never through a float. More decimals than the currency has is refused, not rounded.
 */
export function parseDecimalAmount(
  text: string,
  currency: string,
): { ok: true; minor: bigint } | { ok: false; code: DecimalAmountError; message: string } {
  const exponent = currencyExponent(currency);
  if (exponent === null) return { ok: false, code: 'AMOUNT.UNKNOWN_CURRENCY', message: `${JSON.stringify(currency)} is not an ISO 4217 currency code` };
  const m = /^([+-]?)(\d{1,16})(?:\.(\d{1,6}))?$/.exec(text.trim());
  if (!m) return { ok: false, code: 'AMOUNT.MALFORMED', message: `${JSON.stringify(text)} is not a decimal amount such as 1250.00` };
  const [, sign, whole, fraction = ''] = m;
  if (fraction.replace(/0+$/, '').length > exponent) {
    return { ok: false, code: 'AMOUNT.TOO_PRECISE', message: `${currency} has ${exponent} decimal place(s); ${JSON.stringify(text)} has more` };
  }
  const minor = BigInt(whole!) * 10n ** BigInt(exponent) + BigInt((fraction + '0'.repeat(exponent)).slice(0, exponent) || '0');
  if (minor > MAX_AMOUNT_MINOR) return { ok: false, code: 'AMOUNT.TOO_LARGE', message: `${JSON.stringify(text)} ${currency} is more than the platform handles` };
  return { ok: true, minor: sign === '-' ? -minor : minor };
}
