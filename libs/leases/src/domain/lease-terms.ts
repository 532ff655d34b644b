/**
 * A lease's term and notice: how long each term lasts, when it ends, and the last moment
 * either side may give notice so that it does not renew. All calendar arithmetic is in UTC,
 * so a lease's dates never depend on the server's time zone.
 */

/** Ten years: past that a lease is a sale in all but name. */
export const MAX_LEASE_TERM_MONTHS = 120;
export const MIN_NOTICE_DAYS = 1;
export const MAX_NOTICE_DAYS = 365;

const DAY_MS = 86_400_000;

export type LeaseTermsErrorCode =
  | 'LEASE.TERM_NOT_INTEGER'
  | 'LEASE.TERM_TOO_SHORT'
  | 'LEASE.TERM_TOO_LONG'
  | 'LEASE.NOTICE_NOT_INTEGER'
  | 'LEASE.NOTICE_OUT_OF_RANGE'
  | 'LEASE.NOTICE_LONGER_THAN_TERM';

export type TermCheck =
  | { ok: true }
  | { ok: false; code: LeaseTermsErrorCode; field: 'termMonths' | 'noticeDays'; message: string };

function checkDate(d: Date, name: string): void {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new RangeError(`${name} must be a valid Date`);
}

function checkInteger(n: number, name: string, min: number): void {
  if (!Number.isSafeInteger(n) || n < min) throw new RangeError(`${name} must be an integer of at least ${min}, not ${String(n)}`);
}

function daysInMonthUtc(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month + 1, 0); // day 0 of the next month: the last day of this one
  return d.getUTCDate();
}

/**
 * `from` plus whole calendar months in UTC, keeping the time of day. A day that the target
 * month lacks is clamped to its last day: Jan 31 + 1 month is Feb 28 (Feb 29 in a leap year).
 * Months may be negative. Clamping makes this lossy (Jan 31 + 1 + 1 is Mar 28, not Mar 31),
 * so a lease's later terms are computed from its start, never from the previous term's end.
 */
export function addMonthsUtc(from: Date, months: number): Date {
  checkDate(from, 'from');
  if (!Number.isSafeInteger(months)) throw new RangeError(`months must be an integer, not ${String(months)}`);
  const total = from.getUTCMonth() + months;
  const year = from.getUTCFullYear() + Math.floor(total / 12);
  const month = ((total % 12) + 12) % 12;
  const day = Math.min(from.getUTCDate(), daysInMonthUtc(year, month));
  const out = new Date(from.getTime());
  // setUTCFullYear takes year, month and day together, so no intermediate date overflows
  // (and years 0-99 are not read as 19xx, as Date.UTC would).
  out.setUTCFullYear(year, month, day);
  return out;
}

/** The last moment to give notice: `noticeDays` whole days of 24 h before the end. */
export function noticeDeadline(endsAt: Date, noticeDays: number): Date {
  checkDate(endsAt, 'endsAt');
  checkInteger(noticeDays, 'noticeDays', 0);
  return new Date(endsAt.getTime() - noticeDays * DAY_MS);
}

/** The first term: from `startsAt` for `termMonths` calendar months. */
export function leasePeriod(startsAt: Date, termMonths: number, noticeDays: number): { startsAt: Date; endsAt: Date; noticeDeadline: Date } {
  checkInteger(termMonths, 'termMonths', 1);
  const endsAt = addMonthsUtc(startsAt, termMonths);
  return { startsAt: new Date(startsAt.getTime()), endsAt, noticeDeadline: noticeDeadline(endsAt, noticeDays) };
}

/**
 * The end and notice deadline of term `termNumber` (1-based) of a lease that started at
 * `startsAt`: each term starts where the previous one ended, and every end is computed from
 * the original start (months x termNumber) so that day clamping never drifts: a monthly lease
 * from Jan 31 ends on Feb 28, Mar 31, Apr 30, ... not Feb 28, Mar 28, Apr 28.
 *
 * A later term may be shorter than the first (a monthly lease's February), so its notice
 * deadline can fall before the term starts: with 30 days' notice, a term running Feb 1 to
 * Mar 1 must be refused by Jan 30. That is what the notice period means, and the deadlines
 * still strictly increase from term to term.
 */
export function renewedPeriod(startsAt: Date, termMonths: number, termNumber: number, noticeDays: number): { endsAt: Date; noticeDeadline: Date } {
  checkInteger(termMonths, 'termMonths', 1);
  checkInteger(termNumber, 'termNumber', 1);
  const endsAt = addMonthsUtc(startsAt, termMonths * termNumber);
  return { endsAt, noticeDeadline: noticeDeadline(endsAt, noticeDays) };
}

function describeValue(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? `${value}n` : String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

const isInteger = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/**
 * Untrusted term and notice against the listing's minimum term. The first problem found is
 * returned, term before notice. The notice deadline of the first term must fall after the
 * lease starts, or the lease would have renewed (or lapsed) the moment it began.
 */
export function checkLeaseTerms(input: { termMonths: unknown; noticeDays: unknown; minTermMonths: number; startsAt: Date }): TermCheck {
  const { termMonths, noticeDays, minTermMonths, startsAt } = input;
  // A listing's minimum below one month still cannot allow an empty term.
  const minimum = Math.max(1, minTermMonths);

  if (!isInteger(termMonths)) {
    return { ok: false, code: 'LEASE.TERM_NOT_INTEGER', field: 'termMonths', message: `termMonths must be a whole number of months, not ${describeValue(termMonths)}` };
  }
  if (termMonths < minimum) {
    return {
      ok: false,
      code: 'LEASE.TERM_TOO_SHORT',
      field: 'termMonths',
      message: `this listing leases for at least ${minimum} month${minimum === 1 ? '' : 's'}; ${termMonths} is too short`,
    };
  }
  if (termMonths > MAX_LEASE_TERM_MONTHS) {
    return { ok: false, code: 'LEASE.TERM_TOO_LONG', field: 'termMonths', message: `a lease term is at most ${MAX_LEASE_TERM_MONTHS} months; ${termMonths} is too long` };
  }

  if (!isInteger(noticeDays)) {
    return { ok: false, code: 'LEASE.NOTICE_NOT_INTEGER', field: 'noticeDays', message: `noticeDays must be a whole number of days, not ${describeValue(noticeDays)}` };
  }
  if (noticeDays < MIN_NOTICE_DAYS || noticeDays > MAX_NOTICE_DAYS) {
    return {
      ok: false,
      code: 'LEASE.NOTICE_OUT_OF_RANGE',
      field: 'noticeDays',
      message: `noticeDays must be from ${MIN_NOTICE_DAYS} to ${MAX_NOTICE_DAYS}, not ${noticeDays}`,
    };
  }

  const period = leasePeriod(startsAt, termMonths, noticeDays);
  if (period.noticeDeadline.getTime() <= startsAt.getTime()) {
    const termDays = Math.floor((period.endsAt.getTime() - startsAt.getTime()) / DAY_MS);
    return {
      ok: false,
      code: 'LEASE.NOTICE_LONGER_THAN_TERM',
      field: 'noticeDays',
      message: `${noticeDays} days' notice does not fit a first term of ${termDays} days (${startsAt.toISOString()} to ${period.endsAt.toISOString()}): the notice deadline must fall after the lease starts`,
    };
  }
  return { ok: true };
}
