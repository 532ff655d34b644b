import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Transfers (issue 6): the sale of a block from its holder to a buyer, through the stages of
 * API.md, with the registry's decision as the trigger and escrow on the ledger.
 *
 * - `transfers`: one row per deal; its stage moves only along the pure transition table
 *   (libs/transfers/src/domain/stages.ts); the terms never change once proposed. From
 *   `agreed` until the deal ends the block is held in `space_commitments` (kind 'sale'), so
 *   it can be neither leased nor sold twice.
 * - `transfer_events`: one per stage reached (and per wait within a stage), append-only,
 *   each with the actor, the evidence and the risk placement it set; a stage is reached at
 *   most once per transfer (a unique index), whatever the number of workers and retries.
 * - `transfer_documents`: the buyer's needs justifications and pre-approvals, read by the
 *   policy check.
 *
 * Hand-written SQL, reviewed; never generated.
 */
const STAGES = `'proposed', 'agreed', 'policy_checked', 'awaiting_funds', 'funded', 'registry_submitted', 'registry_approved',
  'registry_completed', 'verified', 'released', 'completed', 'policy_failed', 'registry_rejected', 'refunding', 'refunded', 'cancelled', 'disputed'`;
const RIRS = `'ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC'`;

export class Transfers1764400013000 implements MigrationInterface {
  name = 'Transfers1764400013000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE transfers (
        id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        listing_id         uuid NOT NULL REFERENCES listings (id),
        block_id           uuid NOT NULL REFERENCES blocks (id),
        -- copies of the listing's, taken when proposed.
        prefix             cidr NOT NULL CHECK (family(prefix) = 4 AND masklen(prefix) BETWEEN 8 AND 24),
        seller_org_id      uuid NOT NULL REFERENCES organisations (id),
        lister_org_id      uuid NOT NULL REFERENCES organisations (id),
        buyer_org_id       uuid NOT NULL REFERENCES organisations (id),
        broker_org_id      uuid REFERENCES organisations (id),
        broker_fee_bps     integer NOT NULL DEFAULT 0 CHECK (broker_fee_bps BETWEEN 0 AND 10000),
        platform_fee_bps   integer NOT NULL CHECK (platform_fee_bps BETWEEN 0 AND 10000),
        currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        price_per_ip_minor bigint NOT NULL CHECK (price_per_ip_minor BETWEEN 1 AND 1000000000000000),
        -- the whole deal's price: per IP times the block's addresses.
        price_minor        bigint NOT NULL CHECK (price_minor BETWEEN 1 AND 1000000000000000),
        source_rir         text NOT NULL CHECK (source_rir IN (${RIRS})),
        destination_rir    text NOT NULL CHECK (destination_rir IN (${RIRS})),
        stage              text NOT NULL CHECK (stage IN (${STAGES})),
        stage_entered_at   timestamptz NOT NULL,
        -- when the worker should look at the transfer next (NULL: it waits for a person, or it has ended);
        -- the reconciler re-queues every transfer whose time has come.
        next_step_at       timestamptz,
        -- bumped each time the worker schedules another look at the same stage (a poll): the job id
        -- 'transfer:<id>:<stage>-<round>' is then new, while duplicates of one round collapse.
        step_round         integer NOT NULL DEFAULT 0 CHECK (step_round >= 0),
        -- the current stage's due time (SLA), for the deadlines.
        due_at             timestamptz,
        -- the stage a dispute froze (to resume or settle from).
        frozen_stage       text CHECK (frozen_stage IN (${STAGES})),
        -- the handles at the RIRs: the seller's (source) and the buyer's (destination), confirmed claims.
        seller_handle      text,
        buyer_handle       text,
        registry_ticket    text CHECK (length(registry_ticket) BETWEEN 1 AND 200),
        commitment_id      uuid UNIQUE REFERENCES space_commitments (id),
        -- the last policy outcome (pass, fail with codes, documents required), with its table version.
        policy             jsonb,
        -- why the transfer waits, when it does (documents required, information requested by the RIR).
        waiting_for        text CHECK (length(waiting_for) BETWEEN 1 AND 500),
        event_count        integer NOT NULL DEFAULT 0 CHECK (event_count >= 0),
        created_at         timestamptz NOT NULL CHECK (created_at = date_trunc('milliseconds', created_at)),
        updated_at         timestamptz NOT NULL,
        CHECK (buyer_org_id <> seller_org_id),
        CHECK (broker_org_id IS NOT NULL OR broker_fee_bps = 0),
        CHECK (broker_fee_bps + platform_fee_bps < 10000),
        CHECK ((stage = 'disputed') = (frozen_stage IS NOT NULL))
      );
      CREATE INDEX transfers_buyer ON transfers (buyer_org_id, created_at DESC, id);
      CREATE INDEX transfers_seller ON transfers (seller_org_id, created_at DESC, id);
      CREATE INDEX transfers_broker ON transfers (broker_org_id, created_at DESC, id) WHERE broker_org_id IS NOT NULL;
      CREATE INDEX transfers_next_step ON transfers (next_step_at) WHERE next_step_at IS NOT NULL;
      -- one open deal per listing at a time (the space commitment says it too, from agreed on).
      CREATE UNIQUE INDEX transfers_one_open_per_listing ON transfers (listing_id)
        WHERE stage NOT IN ('completed', 'policy_failed', 'refunded', 'cancelled', 'proposed');

      CREATE FUNCTION transfers_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          RAISE EXCEPTION 'transfers are never deleted' USING ERRCODE = 'restrict_violation';
        END IF;
        IF (NEW.id, NEW.listing_id, NEW.block_id, NEW.prefix, NEW.seller_org_id, NEW.lister_org_id, NEW.buyer_org_id, NEW.broker_org_id,
            NEW.broker_fee_bps, NEW.platform_fee_bps, NEW.currency, NEW.price_per_ip_minor, NEW.price_minor, NEW.source_rir,
            NEW.destination_rir, NEW.created_at)
           IS DISTINCT FROM
           (OLD.id, OLD.listing_id, OLD.block_id, OLD.prefix, OLD.seller_org_id, OLD.lister_org_id, OLD.buyer_org_id, OLD.broker_org_id,
            OLD.broker_fee_bps, OLD.platform_fee_bps, OLD.currency, OLD.price_per_ip_minor, OLD.price_minor, OLD.source_rir,
            OLD.destination_rir, OLD.created_at) THEN
          RAISE EXCEPTION 'transfer %: its terms never change', OLD.id USING ERRCODE = 'restrict_violation';
        END IF;
        IF OLD.stage IN ('completed', 'policy_failed', 'refunded', 'cancelled') AND NEW.stage IS DISTINCT FROM OLD.stage THEN
          RAISE EXCEPTION 'transfer %: ended (%)', OLD.id, OLD.stage USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER transfers_guard BEFORE UPDATE OR DELETE ON transfers FOR EACH ROW EXECUTE FUNCTION transfers_guard();
      CREATE TRIGGER transfers_no_truncate BEFORE TRUNCATE ON transfers FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

      CREATE TABLE transfer_events (
        transfer_id  uuid NOT NULL REFERENCES transfers (id),
        seq          integer NOT NULL CHECK (seq >= 1),
        stage        text NOT NULL CHECK (stage IN (${STAGES})),
        from_stage   text CHECK (from_stage IN (${STAGES})),
        actor        text NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
        at           timestamptz NOT NULL,
        evidence     jsonb NOT NULL DEFAULT '{}',
        -- the risk placement this stage set: { matrixVersion, risks: [...] }.
        risks        jsonb NOT NULL,
        -- a wait within the stage (documents required, the RIR asking for information): the
        -- transfer stays where it is, and the event says what it waits for; NULL for reaching a stage.
        wait         text CHECK (wait IN ('documents_required', 'registry_info_requested')),
        PRIMARY KEY (transfer_id, seq),
        CHECK (wait IS NULL OR stage = from_stage)
      );
      -- no stage reached twice, whatever the retries and workers.
      CREATE UNIQUE INDEX transfer_events_stage_once ON transfer_events (transfer_id, stage) WHERE wait IS NULL;
      CREATE TRIGGER transfer_events_append_only BEFORE UPDATE OR DELETE ON transfer_events FOR EACH ROW EXECUTE FUNCTION refuse_change();
      CREATE TRIGGER transfer_events_no_truncate BEFORE TRUNCATE ON transfer_events FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

      CREATE TABLE transfer_documents (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        transfer_id    uuid NOT NULL REFERENCES transfers (id),
        kind           text NOT NULL CHECK (kind IN ('needs_justification', 'pre_approval')),
        rir            text NOT NULL CHECK (rir IN (${RIRS})),
        -- the largest block it covers, as a prefix length (22: up to a /22).
        approved_size  smallint NOT NULL CHECK (approved_size BETWEEN 8 AND 24),
        issued_at      timestamptz NOT NULL,
        expires_at     timestamptz,
        reference      text CHECK (length(reference) BETWEEN 1 AND 200),
        attached_by    text NOT NULL,
        created_at     timestamptz NOT NULL,
        CHECK (expires_at IS NULL OR expires_at > issued_at)
      );
      CREATE INDEX transfer_documents_transfer ON transfer_documents (transfer_id);
      CREATE TRIGGER transfer_documents_append_only BEFORE UPDATE OR DELETE ON transfer_documents FOR EACH ROW EXECUTE FUNCTION refuse_change();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE transfer_documents, transfer_events, transfers;
      DROP FUNCTION transfers_guard();
    `);
  }
}
