import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Deadlines and notifications (issue 7).
 *
 * Deadlines are not stored: each is computed from the row that owns its date (a lease's
 * notice deadline, a block's RIR paid-until date, an escrow's opening...), by indexed
 * queries that the deadline sources of each domain own. What is stored is what was done
 * about them:
 *
 * - `notifications`: one row per deadline and threshold crossed (P30D, P7D, P1D, overdue),
 *   never two (a unique index), whatever the number of scanning workers.
 * - `notification_settings`: an organisation's ops contacts, who get the e-mail.
 * - `blocks.rir_paid_until`: the date to which the holder's RIR fees for the block are paid
 *   (ARIN stops services 120 days past it and revokes at 180).
 * - `sandbox_rir_roas.expires_at`, `lease_registry_changes.expires_at`: the ROA's expiry as
 *   the registry reports it (rpki-client's `expires`), kept with the lease's ROA change.
 *
 * Hand-written SQL, reviewed; never generated.
 */
export class Deadlines1764400014000 implements MigrationInterface {
  name = 'Deadlines1764400014000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE blocks ADD COLUMN rir_paid_until timestamptz;
      CREATE INDEX blocks_rir_paid_until ON blocks (rir_paid_until) WHERE removed_at IS NULL AND rir_paid_until IS NOT NULL;

      ALTER TABLE sandbox_rir_roas ADD COLUMN expires_at timestamptz;
      -- How long the stand-in RIR's ROAs are valid (their certificates' lifetime), scripted per
      -- RIR; NULL: a calendar year.
      ALTER TABLE sandbox_rir_behaviour ADD COLUMN roa_validity_days integer CHECK (roa_validity_days BETWEEN 1 AND 3650);
      ALTER TABLE lease_registry_changes ADD COLUMN expires_at timestamptz;
      CREATE INDEX lease_registry_changes_roa_expiry ON lease_registry_changes (expires_at)
        WHERE change = 'roa' AND phase = 'provision' AND status = 'applied' AND expires_at IS NOT NULL;

      -- The notice deadline counts only while no notice has been given (an ending lease keeps
      -- it, overdue, when it lapsed); the end of a lease counts until it is over, and a while after.
      CREATE INDEX leases_notice_open ON leases (notice_deadline) WHERE status IN ('active', 'suspended', 'ending') AND notice_given_at IS NULL;
      CREATE INDEX leases_end_deadline ON leases (ends_at) WHERE status IN ('active', 'suspended', 'ending', 'deprovisioning', 'ended');
      -- The scan finds deadlines born inside a band (a new lease, a renewal, a lapse) by the
      -- leases changed since its last run.
      CREATE INDEX leases_updated ON leases (updated_at);
      -- Where each kind's incremental scan got to (the clock's time), and when its last full
      -- sweep ran (real time): see NotificationScan.
      CREATE TABLE deadline_scan_marks (
        kind        text PRIMARY KEY,
        scanned_to  timestamptz NOT NULL,
        swept_at    timestamptz NOT NULL
      );
      CREATE INDEX escrows_awaiting_funds ON escrows (created_at) WHERE status = 'awaiting_funds';
      -- Funded deals waiting on the registry (escrow.registry_progress).
      CREATE INDEX transfers_awaiting_registry ON transfers (stage) WHERE stage IN ('funded', 'registry_submitted', 'registry_approved', 'disputed');
      -- Mandates that expire, and those that ended by expiring (listed overdue for a while).
      CREATE INDEX mandates_expiry ON mandates (expires_at) WHERE revoked_at IS NULL;
      CREATE INDEX transfers_due ON transfers (due_at) WHERE due_at IS NOT NULL;
      CREATE INDEX transfer_documents_expiry ON transfer_documents (expires_at) WHERE kind = 'pre_approval' AND expires_at IS NOT NULL;

      CREATE TABLE notification_settings (
        org_id      uuid PRIMARY KEY REFERENCES organisations (id),
        ops_emails  text[] NOT NULL DEFAULT '{}' CHECK (cardinality(ops_emails) <= 20),
        updated_at  timestamptz NOT NULL
      );

      CREATE TABLE notifications (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        -- the deadline's stable id, such as 'lease.notice:<lease id>:<term>'.
        deadline_id  text NOT NULL CHECK (length(deadline_id) BETWEEN 1 AND 200),
        kind         text NOT NULL,
        threshold    text NOT NULL CHECK (threshold IN ('P30D', 'P7D', 'P1D', 'overdue')),
        due_at       timestamptz NOT NULL,
        subject_type text NOT NULL,
        subject_id   uuid NOT NULL,
        org_ids      uuid[] NOT NULL CHECK (cardinality(org_ids) >= 1),
        title        text NOT NULL,
        -- the (sandbox) clock's time when the scan crossed the threshold.
        notified_at  timestamptz NOT NULL,
        -- how many e-mails went to ops contacts.
        emails       integer NOT NULL DEFAULT 0,
        created_at   timestamptz NOT NULL DEFAULT now(),
        UNIQUE (deadline_id, threshold)
      );
      CREATE INDEX notifications_newest ON notifications (notified_at DESC, id DESC);
      CREATE INDEX notifications_orgs ON notifications USING gin (org_ids);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE deadline_scan_marks, notifications, notification_settings;
      DROP INDEX leases_updated;
      DROP INDEX mandates_expiry, transfers_awaiting_registry, transfer_documents_expiry, transfers_due, escrows_awaiting_funds, leases_end_deadline, leases_notice_open, lease_registry_changes_roa_expiry;
      ALTER TABLE lease_registry_changes DROP COLUMN expires_at;
      ALTER TABLE sandbox_rir_behaviour DROP COLUMN roa_validity_days;
      ALTER TABLE sandbox_rir_roas DROP COLUMN expires_at;
      DROP INDEX blocks_rir_paid_until;
      ALTER TABLE blocks DROP COLUMN rir_paid_until;
    `);
  }
}
