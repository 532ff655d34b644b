import { type Money } from './money.js';

const WHOLE = 10_000n;

/**
 * Splits total into shares given in basis points (integers >= 0 summing to 10,000) by the
 * largest-remainder rule: each share gets the floor of its exact part, then the minor units
 * left over go one each to the shares with the largest remainders, ties to the earlier
 * share. The parts sum exactly to total (no cent made or lost), each part is within one
 * minor unit of its exact share, and a larger share never gets less. A negative total (a
 * reversal) is split as its absolute value and negated, so reversing an allocation
 * cancels it part by part.
 */
export function allocate(total: Money, basisPoints: readonly number[]): Money[] {
  if (basisPoints.length === 0) throw new RangeError('allocate needs at least one share');
  let sum = 0;
  for (const bp of basisPoints) {
    if (!Number.isSafeInteger(bp) || bp < 0) throw new RangeError(`basis points must be integers >= 0, not ${bp}`);
    sum += bp;
  }
  if (sum !== 10_000) throw new RangeError(`basis points must sum to 10000, not ${sum}`);

  const negative = total.amountMinor < 0n;
  const amount = negative ? -total.amountMinor : total.amountMinor;
  const parts = basisPoints.map((bp) => (amount * BigInt(bp)) / WHOLE);
  const remainders = basisPoints.map((bp) => (amount * BigInt(bp)) % WHOLE);
  let left = amount - parts.reduce((s, p) => s + p, 0n);
  // Sorting is stable, so equal remainders keep their order: ties go to the earlier share.
  const order = remainders.map((r, i) => [r, i] as const).sort((a, b) => (a[0] === b[0] ? 0 : a[0] > b[0] ? -1 : 1));
  for (const [, i] of order) {
    if (left === 0n) break;
    parts[i]! += 1n;
    left -= 1n;
  }
  return parts.map((p) => ({ amountMinor: negative ? -p : p, currency: total.currency }));
}
