import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lease billing: the last lease-month charged to each lease (-1: none yet) and when the next
 * one starts, both moved forward in the transaction that posts the month's ledger entry. Hand-written SQL, reviewed; never generated.
 */
export class LeaseBilling1764400009000 implements MigrationInterface {
  name = 'LeaseBilling1764400009000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE leases ADD COLUMN billed_through integer NOT NULL DEFAULT -1 CHECK (billed_through >= -1),
        -- the start of the first month not yet charged (month billed_through + 1).
        ADD COLUMN next_bill_at timestamptz;
      UPDATE leases SET next_bill_at = starts_at;
      ALTER TABLE leases ALTER COLUMN next_bill_at SET NOT NULL;
      -- The billing scan: leases that hold their unit, in the order their next month starts.
      CREATE INDEX leases_bill_due ON leases (next_bill_at) WHERE status IN ('active', 'suspended', 'ending');
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX leases_bill_due; ALTER TABLE leases DROP COLUMN next_bill_at, DROP COLUMN billed_through;`);
  }
}
