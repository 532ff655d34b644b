/**
 * Deadlines: every date that ops must not miss, computed (never stored) from the row that
 * owns the date. Pure types and rules; no framework, no I/O.
 */

/** Every kind of deadline, with what it means to ops. */
export const DEADLINE_KINDS = {
  'lease.notice': 'Last day to give notice on a lease before it renews (or to renew one that would lapse)',
  'lease.end': 'A lease ends: the lessee must have renumbered and withdrawn its routes',
  'rir.fees_due': "The holder's RIR fees for a block are paid until this date",
  'rir.services_stop': 'The RIR stops services for a block whose fees are unpaid (ARIN: 120 days past due)',
  'rir.revocation': 'The RIR revokes a block whose fees are unpaid (ARIN: 180 days past due)',
  'roa.expiry': "A lease's ROA expires at the registry: routes become invalid unless it is renewed",
  'escrow.funding': 'An escrow has waited for the buyer\'s funds too long',
  'escrow.registry_progress': 'A funded escrow has waited for registry progress too long',
  'transfer.stage_sla': "A transfer's stage is overdue against its service level",
  'mandate.expiry': "A broker's mandate on a block expires",
  'pre_approval.expiry': "A buyer's RIR pre-approval expires before its transfer completes",
} as const;
export type DeadlineKind = keyof typeof DEADLINE_KINDS;
export const DEADLINE_KIND_NAMES = Object.keys(DEADLINE_KINDS) as DeadlineKind[];

export function isDeadlineKind(kind: string): kind is DeadlineKind {
  return Object.hasOwn(DEADLINE_KINDS, kind);
}

export type SubjectType = 'lease' | 'block' | 'escrow' | 'transfer' | 'mandate' | 'transfer_document';

/** One deadline, as the API shows it. */
export interface Deadline {
  /** Stable across fetches and scans: '<kind>:<subject id>[:<round>]' (a lease's notice deadline per term). */
  readonly id: string;
  readonly kind: DeadlineKind;
  readonly dueAt: Date;
  readonly subject: { readonly type: SubjectType; readonly id: string };
  /** The organisations that see it (and are notified). */
  readonly orgIds: readonly string[];
  /** Upcoming or overdue, by the (sandbox) clock. */
  readonly status: DeadlineStatus;
  /** A line for people: what is due. */
  readonly title: string;
}

export type DeadlineStatus = 'upcoming' | 'overdue';

/** The thresholds at which a deadline is notified, widest first. */
export const THRESHOLDS = [
  { name: 'P30D', beforeMs: 30 * 86_400_000 },
  { name: 'P7D', beforeMs: 7 * 86_400_000 },
  { name: 'P1D', beforeMs: 86_400_000 },
  { name: 'overdue', beforeMs: 0 },
] as const;
export type ThresholdName = (typeof THRESHOLDS)[number]['name'];

export function statusAt(dueAt: Date, now: Date): DeadlineStatus {
  return dueAt.getTime() <= now.getTime() ? 'overdue' : 'upcoming';
}

/**
 * The tightest threshold a deadline has crossed at `now`, or null when it is further away
 * than the widest. A deadline first seen inside a band (one made 3 days before its date) is
 * notified for that band only: the wider ones are past and would only be noise.
 */
export function thresholdAt(dueAt: Date, now: Date): ThresholdName | null {
  const left = dueAt.getTime() - now.getTime();
  let crossed: ThresholdName | null = null;
  for (const t of THRESHOLDS) if (left <= t.beforeMs) crossed = t.name;
  return crossed;
}

/**
 * The band of due dates in which `threshold` is the tightest crossed at `now`:
 * (from, to] (from null: unbounded, for overdue). Scans query each band separately so that
 * every query is a range on an index of due dates.
 */
export function band(threshold: ThresholdName, now: Date): { from: Date | null; to: Date } {
  const i = THRESHOLDS.findIndex((t) => t.name === threshold);
  const at = (ms: number) => new Date(now.getTime() + ms);
  const tighter = THRESHOLDS[i + 1];
  return { from: tighter ? at(tighter.beforeMs) : null, to: at(THRESHOLDS[i]!.beforeMs) };
}

/**
 * RIR fee lapses: how long after the paid-until date each registry stops services and revokes.
 * ARIN's are its published policy (services stop at 120 days past due, revocation at 180).
 * The others deregister unpaid members on their own schedules; until each is confirmed the
 * platform applies ARIN's figures to them too, so no block goes without a warning.
 */
export const RIR_LAPSE_DAYS: Record<string, { servicesStop: number; revocation: number }> = {
  ARIN: { servicesStop: 120, revocation: 180 },
  RIPE: { servicesStop: 120, revocation: 180 },
  APNIC: { servicesStop: 120, revocation: 180 },
  LACNIC: { servicesStop: 120, revocation: 180 },
  AFRINIC: { servicesStop: 120, revocation: 180 },
};
