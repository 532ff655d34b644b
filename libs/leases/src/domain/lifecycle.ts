/**
 * Where a lease is in its life:
 *
 *   provisioning -> active -> ending -> deprovisioning -> ended
 *                   active <-> suspended
 *   provisioning -> failed
 *   any live status -> deprovisioning (early termination)
 *
 * - provisioning: the unit is committed; ROA, route object and sub-assignment are being made.
 * - active: the lessee routes the unit. Each term renews at its notice deadline with auto-renew.
 * - suspended: routing is cut (abuse, unpaid invoice); the term keeps running.
 * - ending: notice was given, or the notice deadline passed without auto-renew; ends at endsAt.
 * - deprovisioning: the registry changes are being removed; the unit stays committed until
 *   they are verified gone, so that nobody else is handed space still routed by the lessee.
 * - ended, failed: terminal. The unit is released.
 */
export const LEASE_STATUSES = ['provisioning', 'active', 'suspended', 'ending', 'deprovisioning', 'ended', 'failed'] as const;
export type LeaseStatus = (typeof LEASE_STATUSES)[number];

/**
 * What may happen to a lease:
 * - provisioned / provisioning_failed: the registry changes were made, or could not be.
 * - notice: the lessee or lessor gave notice not to renew.
 * - lapse: the notice deadline passed and the lease does not renew (no auto-renew, or suspended).
 * - renew: the notice deadline passed with auto-renew and no notice: another term starts at
 *   the current end (the status stays active; the term number moves on).
 * - suspend / resume: routing cut and restored.
 * - expire: the end was reached.
 * - terminate: early termination by agreement, for cause, or by the platform.
 * - deprovisioned: the registry changes are verified removed.
 */
export const LEASE_ACTIONS = [
  'provisioned', 'provisioning_failed', 'notice', 'lapse', 'renew', 'suspend', 'resume', 'expire', 'terminate', 'deprovisioned',
] as const;
export type LeaseAction = (typeof LEASE_ACTIONS)[number];

/** The lease state machine. A transition that is not in this table is refused. */
export const LEASE_TRANSITIONS: Readonly<Record<LeaseStatus, Readonly<Partial<Record<LeaseAction, LeaseStatus>>>>> = {
  provisioning: { provisioned: 'active', provisioning_failed: 'failed', terminate: 'deprovisioning' },
  active: {
    notice: 'ending',
    lapse: 'ending',
    renew: 'active',
    suspend: 'suspended',
    terminate: 'deprovisioning',
    // Normally a lease is 'ending' when its end comes; a scan that missed the notice deadline
    // still ends it on time.
    expire: 'deprovisioning',
  },
  // A suspended lease does not renew: at its notice deadline it lapses unless resumed first.
  suspended: { resume: 'active', notice: 'ending', lapse: 'ending', terminate: 'deprovisioning', expire: 'deprovisioning' },
  ending: { expire: 'deprovisioning', terminate: 'deprovisioning' },
  deprovisioning: { deprovisioned: 'ended' },
  ended: {},
  failed: {},
};

/** Statuses in which the lease holds its unit (its space commitment is live). */
export const LIVE_LEASE_STATUSES = ['provisioning', 'active', 'suspended', 'ending', 'deprovisioning'] as const satisfies readonly LeaseStatus[];
export type LiveLeaseStatus = (typeof LIVE_LEASE_STATUSES)[number];

export const TERMINAL_LEASE_STATUSES = ['ended', 'failed'] as const satisfies readonly LeaseStatus[];

export function isLeaseStatus(value: unknown): value is LeaseStatus {
  return typeof value === 'string' && (LEASE_STATUSES as readonly string[]).includes(value);
}

/** Ended or failed: nothing more can happen to the lease. */
export function isTerminal(status: LeaseStatus): boolean {
  return (TERMINAL_LEASE_STATUSES as readonly LeaseStatus[]).includes(status);
}

/** Holds its unit: everything but ended and failed. */
export function isLive(status: LeaseStatus): status is LiveLeaseStatus {
  return !isTerminal(status);
}

export type LeaseTransitionResult =
  | { ok: true; to: LeaseStatus }
  | { ok: false; code: 'LEASE.INVALID_TRANSITION'; message: string };

/** The actions a status allows, in LEASE_ACTIONS order. */
export function allowedActions(from: LeaseStatus): LeaseAction[] {
  return LEASE_ACTIONS.filter((a) => LEASE_TRANSITIONS[from][a] !== undefined);
}

export function leaseTransition(from: LeaseStatus, action: LeaseAction): LeaseTransitionResult {
  const to = LEASE_TRANSITIONS[from][action];
  if (to) return { ok: true, to };
  const allowed = allowedActions(from);
  const message =
    allowed.length === 0
      ? `a lease that is ${from} cannot ${action}: ${from} is final, nothing more can happen to it`
      : `a lease that is ${from} cannot ${action}; ${from} allows only ${allowed.join(', ')}`;
  return { ok: false, code: 'LEASE.INVALID_TRANSITION', message };
}
