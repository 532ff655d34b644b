import { Injectable } from '@nestjs/common';
import { AuditLog } from '@app/identity';
import { LedgerService } from '@app/ledger';
import { Clock, Transactions } from '@app/platform';
import { BILLABLE_STATUSES, leaseMonth, monthlyCharge, monthsDue } from './domain/billing.js';
import { LEASE_COLUMNS, type LeaseRow } from './lease-row.js';

const BATCH = 100;

/**
 * Charges each lease once per lease-month, at the start of the month, on the ledger: the
 * lessee's receivable is debited the monthly price, the lessor's payable credited the price
 * less the platform's fee, the platform's fees credited the fee. Run by the scheduled scan.
 *
 * Safe with several workers and with retries: a lease is taken FOR UPDATE SKIP LOCKED, its
 * billed_through moves in the transaction that posts the month, and the entry's key is
 * (lease, month), so a month is posted once whatever happens.
 */
@Injectable()
export class LeaseBilling {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly ledger: LedgerService,
    private readonly audit: AuditLog,
  ) {}

  /** Posts every month due now; returns how many leases it charged. */
  async billDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.tx.tx(async (em) => {
        const now = await this.clock.now();
        const leases: (LeaseRow & { billed_through: number })[] = await em.query(
          `SELECT ${LEASE_COLUMNS}, billed_through FROM leases
            WHERE status = ANY($1::text[]) AND next_bill_at <= $2 AND next_bill_at < ends_at
            ORDER BY next_bill_at LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
          [BILLABLE_STATUSES, now],
        );
        // Every month of the batch credits the platform's fees: lock them first, so that two
        // billing runs (two workers) queue on them instead of deadlocking on the per-lease
        // accounts each took before reaching the shared one.
        const currencies = [...new Set(leases.map((l) => l.currency))];
        const fees: string[] = [];
        for (const currency of currencies) fees.push((await this.ledger.account({ owner: 'platform', purpose: 'fees', currency })).id);
        if (fees.length > 0) await this.ledger.lockBalances(fees);
        for (const lease of leases) {
          const due = monthsDue({ startsAt: lease.starts_at, endsAt: lease.ends_at, billedThrough: lease.billed_through, now });
          for (const month of due) await this.postMonth(lease, month.index, month.from);
          const last = due.at(-1)?.index ?? lease.billed_through;
          await em.query('UPDATE leases SET billed_through = $2, next_bill_at = $3 WHERE id = $1', [lease.id, last, leaseMonth(lease.starts_at, last + 1).from]);
        }
        return leases.length;
      });
      total += n;
      if (n < BATCH) return total;
    }
  }

  private async postMonth(lease: LeaseRow, index: number, from: Date): Promise<void> {
    const charge = monthlyCharge({ amountMinor: lease.monthly_minor, currency: lease.currency });
    const [receivable, payable, fees] = [
      await this.ledger.account({ owner: { orgId: lease.lessee_org_id }, purpose: 'receivable', currency: lease.currency }),
      await this.ledger.account({ owner: { orgId: lease.lessor_org_id }, purpose: 'payable', currency: lease.currency }),
      await this.ledger.account({ owner: 'platform', purpose: 'fees', currency: lease.currency }),
    ];
    const lines = [
      { accountId: receivable.id, amountMinor: charge.lessee.amountMinor },
      { accountId: payable.id, amountMinor: -charge.lessor.amountMinor },
      ...(charge.platformFee.amountMinor > 0n ? [{ accountId: fees.id, amountMinor: -charge.platformFee.amountMinor }] : []),
    ];
    const entry = await this.ledger.post({
      idempotencyKey: `lease:${lease.id}:month:${index}`,
      reference: `lease:${lease.id}`,
      description: `Lease of ${lease.prefix}, month ${index + 1} from ${from.toISOString().slice(0, 10)}`,
      lines,
    });
    if (!entry.replayed) {
      await this.audit.record('system', {
        action: 'lease.month_billed',
        orgId: lease.lessee_org_id,
        subject: { type: 'lease', id: lease.id },
        details: { month: index, amountMinor: charge.lessee.amountMinor.toString(), currency: lease.currency, entryId: entry.id.toString() },
      });
    }
  }
}
