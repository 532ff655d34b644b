import { type FieldError, ProblemError } from '@app/platform';
import { z } from 'zod';

/** `from` and `to` as the query gives them (checked by periodOf, which answers with the caller's problem codes). */
export const periodQuery = z.object({
  from: z.string().max(64).optional(),
  to: z.string().max(64).optional(),
});

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * An ISO 8601 date (midnight UTC) or date-time with its offset (`2026-11-01`,
 * `2026-11-01T12:00:00Z`, `2026-11-01T13:00+01:00`), or null. Impossible dates (Feb 30) and
 * times are refused, and so are years before 1971 or after 9998 (Stripe's times start in 1970,
 * and a day's margin either side must stay a valid time).
 */
export function parseInstant(text: string): Date | null {
  const m = DATE.exec(text) ?? DATE_TIME.exec(text);
  if (!m) return null;
  const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1, 7).map((x) => x ?? '0') as string[];
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const [hour, minute, second] = [Number(h), Number(mi), Number(s)];
  if (year < 1971 || year > 9998 || hour > 23 || minute > 59 || second > 59) return null;
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return null;
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  let offsetMin = 0;
  const zone = m[8];
  if (zone && zone.toUpperCase() !== 'Z') {
    const [oh, om] = [Number(zone.slice(1, 3)), Number(zone.slice(4, 6))];
    if (oh > 23 || om > 59) return null;
    offsetMin = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return new Date(calendar.getTime() + ((hour * 60 + minute - offsetMin) * 60 + second) * 1000 + ms);
}

export interface PeriodRules {
  /** The problem's code for a missing, malformed or empty period, e.g. RECONCILIATION.INVALID_PERIOD. */
  readonly code: string;
  /** Both ends required (else each may be left open). */
  readonly required: boolean;
  /** The longest period allowed, and the problem's code beyond it. */
  readonly max?: { readonly days: number; readonly code: string };
}

/**
 * The half-open period [from, to) of the query, or a 422 problem with `rules.code` listing
 * every offending end (PERIOD.REQUIRED, PERIOD.INVALID_DATE, PERIOD.NOT_INCREASING).
 */
export function periodOf(q: z.output<typeof periodQuery>, rules: PeriodRules & { required: true }): { from: Date; to: Date };
export function periodOf(q: z.output<typeof periodQuery>, rules: PeriodRules): { from: Date | null; to: Date | null };
export function periodOf(q: z.output<typeof periodQuery>, rules: PeriodRules): { from: Date | null; to: Date | null } {
  const errors: FieldError[] = [];
  const end = (name: 'from' | 'to'): Date | null => {
    const text = q[name];
    if (text === undefined || text === '') {
      if (rules.required) errors.push({ field: `query.${name}`, code: 'PERIOD.REQUIRED', message: 'is required (an ISO 8601 date or date-time)' });
      return null;
    }
    const at = parseInstant(text);
    if (!at) errors.push({ field: `query.${name}`, code: 'PERIOD.INVALID_DATE', message: 'must be an ISO 8601 date (2026-11-01) or date-time with an offset (2026-11-01T00:00:00Z)' });
    return at;
  };
  const from = end('from');
  const to = end('to');
  if (from && to && from.getTime() >= to.getTime()) errors.push({ field: 'query.to', code: 'PERIOD.NOT_INCREASING', message: 'must be after from (the period is [from, to))' });
  if (errors.length) throw new ProblemError(422, rules.code, 'Invalid period', errors.map((e) => `${e.field} ${e.message}`).join('; '), errors);
  if (rules.max && from && to && to.getTime() - from.getTime() > rules.max.days * DAY_MS) {
    throw new ProblemError(422, rules.max.code, 'Period too long', `The period may be at most ${rules.max.days} days`, [
      { field: 'query.to', code: rules.max.code, message: `must be at most ${rules.max.days} days after from` },
    ]);
  }
  return { from, to };
}
