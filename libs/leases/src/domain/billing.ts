import { type Money, allocate } from '@app/money';
import { addMonthsUtc } from './lease-terms.js';
import type { LeaseStatus } from './lifecycle.js';

/**
 * Lease billing, pure: a lease is charged once per lease-month, in advance, at the start
 * of the month. Month k (0-based) runs from startsAt + k months to startsAt + k + 1 months
 * (computed from the start each time, so that month ends never drift on short months).
 * The lessee owes the monthly price; the lessor is owed it less the platform's fee.
 */

/** The platform's fee on lease payments, in basis points of the monthly price. */
export const LEASE_PLATFORM_FEE_BPS = 1_000;

/** Statuses in which a month that starts is charged: the lessee has the space. */
export const BILLABLE_STATUSES: readonly LeaseStatus[] = ['active', 'suspended', 'ending'];

export interface LeaseMonth {
  /** 0-based index from the lease's start; the idempotency key of its charge. */
  readonly index: number;
  readonly from: Date;
  readonly to: Date;
}

export function leaseMonth(startsAt: Date, index: number): LeaseMonth {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`a lease month index is an integer >= 0, not ${index}`);
  return { index, from: addMonthsUtc(startsAt, index), to: addMonthsUtc(startsAt, index + 1) };
}

/**
 * The months to charge now: those after `billedThrough` (the last month charged, -1 for
 * none) that have started by `now` and start before the lease's end. A lease whose clock
 * jumped several months is charged each month once, in order.
 */
export function monthsDue(o: { startsAt: Date; endsAt: Date; billedThrough: number; now: Date; limit?: number }): LeaseMonth[] {
  const out: LeaseMonth[] = [];
  const limit = o.limit ?? 120;
  for (let index = o.billedThrough + 1; out.length < limit; index++) {
    const month = leaseMonth(o.startsAt, index);
    if (month.from > o.now || month.from >= o.endsAt) break;
    out.push(month);
  }
  return out;
}

export interface MonthlyCharge {
  /** What the lessee owes for the month. */
  readonly lessee: Money;
  /** What the lessor is owed: the price less the platform's fee. */
  readonly lessor: Money;
  readonly platformFee: Money;
}

/** Splits a month's price between lessor and platform by largest remainder: no cent made or lost. */
export function monthlyCharge(monthly: Money, platformFeeBps: number = LEASE_PLATFORM_FEE_BPS): MonthlyCharge {
  if (monthly.amountMinor <= 0n) throw new RangeError('a monthly price is positive');
  const [lessor, platformFee] = allocate(monthly, [10_000 - platformFeeBps, platformFeeBps]);
  return { lessee: monthly, lessor: lessor!, platformFee: platformFee! };
}
