import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log is written without a global lock and chained ("sealed") afterwards.
 *
 * Before, every audited write took one advisory lock to append to the hash chain and held
 * it until its transaction committed: the whole platform's audited writes went through one
 * commit at a time (measured: ~100-150 lease creations/s at 50 connections, 15 of 20
 * connections waiting on that lock). Now a write inserts its row with no place in the chain
 * (seq, prev_hash and hash NULL); a sealer (the worker, every fraction of a second, and every
 * read of the log first) takes the lock briefly, gives the committed unsealed rows their
 * seq in id order and chains them. The chain's order is the order of sealing.
 *
 * The row's content never changes: the trigger lets an UPDATE only fill seq, prev_hash and
 * hash of an unsealed row, once. Hand-written SQL, reviewed; never generated.
 */
export class AuditSealing1764400005000 implements MigrationInterface {
  name = 'AuditSealing1764400005000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
      ALTER TABLE audit_log ADD COLUMN id bigint;
      UPDATE audit_log SET id = seq;
      CREATE SEQUENCE audit_log_id_seq OWNED BY audit_log.id;
      SELECT setval('audit_log_id_seq', coalesce((SELECT max(id) FROM audit_log), 0) + 1, false);
      ALTER TABLE audit_log
        ALTER COLUMN id SET DEFAULT nextval('audit_log_id_seq'),
        ALTER COLUMN id SET NOT NULL,
        DROP CONSTRAINT audit_log_pkey,
        ADD PRIMARY KEY (id),
        ALTER COLUMN seq DROP NOT NULL,
        ALTER COLUMN prev_hash DROP NOT NULL,
        ALTER COLUMN hash DROP NOT NULL,
        ADD CONSTRAINT audit_log_seq_unique UNIQUE (seq),
        ADD CONSTRAINT audit_log_sealed_whole CHECK ((seq IS NULL) = (hash IS NULL) AND (seq IS NULL) = (prev_hash IS NULL));
      CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE seq IS NULL;
      ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;

      DROP TRIGGER audit_log_append_only ON audit_log;
      CREATE FUNCTION audit_log_seal_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
           AND (NEW.id, NEW.at, NEW.actor_type, NEW.actor_id, NEW.org_id, NEW.action, NEW.subject_type, NEW.subject_id, NEW.details, NEW.request_id)
               IS NOT DISTINCT FROM
               (OLD.id, OLD.at, OLD.actor_type, OLD.actor_id, OLD.org_id, OLD.action, OLD.subject_type, OLD.subject_id, OLD.details, OLD.request_id)
        THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
      END $$;
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_seal_only();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER audit_log_append_only ON audit_log;
      DROP FUNCTION audit_log_seal_only();
      DELETE FROM audit_log WHERE seq IS NULL;
      DROP INDEX audit_log_unsealed;
      ALTER TABLE audit_log DROP CONSTRAINT audit_log_sealed_whole, DROP CONSTRAINT audit_log_seq_unique,
        DROP CONSTRAINT audit_log_pkey, ALTER COLUMN seq SET NOT NULL, ALTER COLUMN prev_hash SET NOT NULL,
        ALTER COLUMN hash SET NOT NULL, ADD PRIMARY KEY (seq), DROP COLUMN id;
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION refuse_change();
    `);
  }
}
