import { Injectable, Logger } from '@nestjs/common';
import { AuditLog } from '@app/identity';
import { Clock, Transactions } from '@app/platform';
import { renewedPeriod } from './domain/lease-terms.js';
import { LeaseBilling } from './lease-billing.js';
import { LeaseHistory } from './lease-history.js';
import { LeaseRegistry } from './lease-registry.js';
import { LEASE_COLUMNS, type LeaseRow } from './lease-row.js';

const BATCH = 100;
/** A change or check quiet for this long lost its job: queue it again. */
export const RECONCILE_QUIET_MS = 15 * 60_000;
/** A removal the registry refused is tried again after this long, until it is gone. */
export const REFUSED_REMOVAL_RETRY_MS = 60 * 60_000;

export interface DueLeasesOutcome {
  renewed: number;
  lapsed: number;
  expired: number;
  /** Leases charged for one or more lease-months. */
  billed: number;
  requeued: number;
}

/**
 * What the clock (the sandbox clock, when it travels) makes due, run by a scheduled job:
 * at the notice deadline a lease with auto-renew and no notice renews for another term,
 * any other lease starts ending; at the end of its term a lease is deprovisioned; each
 * lease-month is charged on the ledger when it starts (LeaseBilling).
 *
 * Safe with several workers: each lease is taken with FOR UPDATE SKIP LOCKED and its due
 * condition is part of the locking query, which PostgreSQL re-checks on the locked row; a
 * renewal moves the deadline to the next term, so a term renews exactly once.
 */
@Injectable()
export class DueLeases {
  private readonly log = new Logger('leases');

  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly history: LeaseHistory,
    private readonly registry: LeaseRegistry,
    private readonly audit: AuditLog,
    private readonly billing: LeaseBilling,
  ) {}

  async run(): Promise<DueLeasesOutcome> {
    const out: DueLeasesOutcome = { renewed: 0, lapsed: 0, expired: 0, billed: 0, requeued: 0 };
    // Renewals first: a lease whose clock jumped past several deadlines renews once per term.
    out.renewed = await this.drain(
      `status = 'active' AND auto_renew AND notice_given_at IS NULL AND notice_deadline <= $1`,
      'notice_deadline',
      async (lease) => {
        const next = renewedPeriod(lease.starts_at, lease.term_months, lease.term_number + 1, lease.notice_days);
        await this.history.apply(lease, 'renew', 'system', {
          event: 'renewed',
          evidence: { termNumber: lease.term_number + 1, previousEndsAt: lease.ends_at.toISOString(), endsAt: next.endsAt.toISOString() },
          patch: { term_number: lease.term_number + 1, ends_at: next.endsAt, notice_deadline: next.noticeDeadline },
        });
        await this.audited(lease, 'lease.renewed', { termNumber: lease.term_number + 1, endsAt: next.endsAt.toISOString() });
      },
    );
    // The deadline passed without a renewal: the lease ends with its term.
    out.lapsed = await this.drain(
      `status IN ('active', 'suspended') AND notice_deadline <= $1 AND (NOT auto_renew OR status = 'suspended')`,
      'notice_deadline',
      async (lease) => {
        await this.history.apply(lease, 'lapse', 'system', {
          event: 'ending',
          evidence: { reason: lease.status === 'suspended' ? 'suspended at the notice deadline' : 'no auto-renewal', endsAt: lease.ends_at.toISOString() },
          patch: { end_reason: 'no_renewal' },
        });
        await this.audited(lease, 'lease.ending', { reason: 'no_renewal' });
      },
    );
    out.expired = await this.drain(`status IN ('active', 'suspended', 'ending') AND ends_at <= $1`, 'ends_at', async (lease) => {
      const next = await this.history.apply(lease, 'expire', 'system', { event: 'deprovisioning', evidence: { endsAt: lease.ends_at.toISOString() } });
      await this.registry.schedule(next, 'deprovision');
      await this.audited(lease, 'lease.deprovisioning', { reason: 'term ended' });
    });
    // After renewals: a renewed lease's new months are billable.
    out.billed = await this.billing.billDue();
    out.requeued = await this.registry.requeueQuiet(RECONCILE_QUIET_MS, REFUSED_REMOVAL_RETRY_MS);
    if (out.renewed + out.lapsed + out.expired + out.billed + out.requeued > 0) this.log.log({ msg: 'due leases', ...out });
    return out;
  }

  /** Runs `work` on every lease matching `due` now, a batch per transaction, until none is left. */
  private async drain(due: string, order: string, work: (lease: LeaseRow) => Promise<void>): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.tx.tx(async (em) => {
        const now = await this.clock.now();
        const rows: LeaseRow[] = await em.query(`SELECT ${LEASE_COLUMNS} FROM leases WHERE ${due} ORDER BY ${order} LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`, [now]);
        for (const lease of rows) await work(lease);
        return rows.length;
      });
      total += n;
      // Until none is left: a renewed lease may be due again (the clock jumped past several terms).
      if (n === 0) return total;
    }
  }

  private async audited(lease: LeaseRow, action: string, details: Record<string, unknown>): Promise<void> {
    await this.audit.record('system', { action, orgId: lease.lessee_org_id, subject: { type: 'lease', id: lease.id }, details });
  }
}
