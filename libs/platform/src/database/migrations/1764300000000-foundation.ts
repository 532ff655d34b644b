import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The foundation: organisations (with the platform operator's own), API keys, the
 * append-only hash-chained audit log, the transactional outbox, idempotency records and
 * the sandbox clock. Hand-written SQL, reviewed; never generated.
 */
export class Foundation1764300000000 implements MigrationInterface {
  name = 'Foundation1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE organisations (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        -- 'platform' is the operator itself (exactly one row); every customer is a 'member'.
        kind        text NOT NULL DEFAULT 'member' CHECK (kind IN ('platform', 'member')),
        created_at  timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX organisations_name_key ON organisations (lower(name));
      CREATE UNIQUE INDEX organisations_one_platform ON organisations (kind) WHERE kind = 'platform';
      INSERT INTO organisations (name, kind) VALUES ('platform', 'platform');

      CREATE TABLE api_keys (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        org_id      uuid NOT NULL REFERENCES organisations (id),
        role        text NOT NULL CHECK (role IN ('admin', 'trader', 'finance', 'ops', 'viewer')),
        label       text NOT NULL DEFAULT '' CHECK (length(label) <= 200),
        -- sha256 of the whole secret key; the key itself is shown once and never stored.
        key_hash    bytea NOT NULL UNIQUE,
        -- the first characters of the key, so that a person can tell their keys apart.
        key_prefix  text NOT NULL,
        created_by  text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        revoked_at  timestamptz
      );
      CREATE INDEX api_keys_org ON api_keys (org_id, created_at DESC, id DESC);

      CREATE TABLE audit_log (
        -- gap-free position in the chain, assigned under an advisory lock by the writer.
        seq          bigint PRIMARY KEY CHECK (seq > 0),
        at           timestamptz NOT NULL,
        actor_type   text NOT NULL,
        actor_id     text NOT NULL,
        -- the organisation whose data the action touched (NULL: platform-wide).
        org_id       uuid REFERENCES organisations (id),
        action       text NOT NULL,
        subject_type text NOT NULL,
        subject_id   text NOT NULL,
        details      jsonb NOT NULL DEFAULT '{}',
        request_id   text,
        -- hash of the row before (64 zeros for the first) and sha256(prev_hash || content).
        prev_hash    text NOT NULL,
        hash         text NOT NULL
      );
      CREATE INDEX audit_log_org ON audit_log (org_id, seq DESC);

      CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
          USING ERRCODE = 'restrict_violation';
      END $$;
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION refuse_change();
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

      CREATE TABLE audit_chain_checks (
        id            bigserial PRIMARY KEY,
        checked_at    timestamptz NOT NULL DEFAULT now(),
        ok            boolean NOT NULL,
        rows_checked  bigint NOT NULL,
        first_bad_seq bigint,
        reason        text,
        -- the last row a clean check saw: later checks require it to be still there, unchanged.
        head_seq      bigint,
        head_hash     text
      );

      -- Work to hand to BullMQ, written in the same transaction as the change that causes it.
      CREATE TABLE outbox (
        id            bigserial PRIMARY KEY,
        queue         text NOT NULL,
        job_name      text NOT NULL,
        -- the BullMQ job id; defaults to 'outbox-<id>' so a re-relayed row collapses.
        job_id        text,
        payload       jsonb NOT NULL,
        delay_ms      integer NOT NULL DEFAULT 0 CHECK (delay_ms >= 0),
        created_at    timestamptz NOT NULL DEFAULT now(),
        dispatched_at timestamptz
      );
      CREATE INDEX outbox_pending ON outbox (id) WHERE dispatched_at IS NULL;

      CREATE TABLE idempotency_keys (
        -- who used the key: an organisation id or 'platform-admin'; keys are per caller.
        scope           text NOT NULL,
        key             text NOT NULL,
        request_hash    text NOT NULL,
        response_status integer NOT NULL,
        response_body   jsonb,
        created_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, key)
      );

      -- The sandbox's time travel offset, shared by every API and worker process.
      CREATE TABLE sandbox_clock (
        singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        offset_ms  bigint NOT NULL DEFAULT 0 CHECK (offset_ms >= 0)
      );
      INSERT INTO sandbox_clock DEFAULT VALUES;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE sandbox_clock, idempotency_keys, outbox, audit_chain_checks;
      DROP TABLE audit_log;
      DROP FUNCTION refuse_change();
      DROP TABLE api_keys, organisations;
    `);
  }
}
