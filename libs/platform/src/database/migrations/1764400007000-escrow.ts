import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Escrow on the ledger (DESIGN.md "Escrow and money"): one escrow per deal, the operations
 * posted for it (each once per key), the bank statements imported to match wire fundings,
 * and payout instructions that finance confirms. The money itself is only in the ledger;
 * these tables say which entry was posted for what, and hold the rules the database can:
 *
 * - an escrow's terms never change; what it has received only grows, up to what it expects;
 * - its status follows from what it has received until it is settled, and its outcome
 *   (released or refunded) is set once and never changes;
 * - an operation is recorded once per (deal, operation key), and a deal has at most one
 *   settlement (release and refund exclude each other here too, not only under the lock);
 * - operations, imports and their lines are append-only; a payout instruction only moves
 *   from pending to confirmed, once.
 *
 * Hand-written SQL, reviewed; never generated.
 */
export class Escrow1764400007000 implements MigrationInterface {
  name = 'Escrow1764400007000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE escrows (
        -- the deal the money is held for (the transfer's id, once transfers exist).
        deal_id              uuid PRIMARY KEY,
        buyer_org_id         uuid NOT NULL REFERENCES organisations (id),
        seller_org_id        uuid NOT NULL REFERENCES organisations (id),
        broker_org_id        uuid REFERENCES organisations (id),
        currency             text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        -- the deal's price: what the buyer is to pay in.
        expected_minor       bigint NOT NULL CHECK (expected_minor BETWEEN 1 AND 1000000000000000),
        -- what has gone into the escrow account so far (never more than expected).
        funded_minor         bigint NOT NULL DEFAULT 0 CHECK (funded_minor >= 0 AND funded_minor <= expected_minor),
        -- what the buyer paid beyond that (or after settlement): credited to its payable, to be paid back.
        excess_minor         bigint NOT NULL DEFAULT 0 CHECK (excess_minor >= 0),
        broker_fee_bps       integer NOT NULL DEFAULT 0 CHECK (broker_fee_bps BETWEEN 0 AND 10000),
        platform_fee_bps     integer NOT NULL CHECK (platform_fee_bps BETWEEN 0 AND 10000),
        status               text NOT NULL CHECK (status IN ('awaiting_funds', 'funded', 'released', 'refunded')),
        -- what the buyer writes on its wire (libs/payments funding-reference.ts).
        funding_reference    text NOT NULL UNIQUE CHECK (funding_reference ~ '^IPV4M-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]$'),
        -- the deal's escrow account in the ledger (platform-owned, purpose escrow, reference = deal id).
        escrow_account_id    uuid NOT NULL UNIQUE REFERENCES ledger_accounts (id),
        -- how the deal's money left escrow: set once, by the settlement.
        outcome              text CHECK (outcome IN ('released', 'refunded')),
        settled_at           timestamptz,
        -- the settlement's journal entry; NULL only for the refund of an escrow that held nothing.
        settlement_entry_id  bigint REFERENCES journal_entries (id),
        created_at           timestamptz NOT NULL,
        updated_at           timestamptz NOT NULL,
        CHECK (buyer_org_id <> seller_org_id),
        CHECK (broker_fee_bps + platform_fee_bps <= 10000),
        CHECK (broker_org_id IS NOT NULL OR broker_fee_bps = 0),
        CHECK ((outcome IS NULL) = (settled_at IS NULL)),
        -- open: the status says whether the price is in; settled: the status is the outcome.
        CONSTRAINT escrows_status_consistent CHECK (
          (outcome IS NULL AND status = CASE WHEN funded_minor = expected_minor THEN 'funded' ELSE 'awaiting_funds' END)
          OR (outcome IS NOT NULL AND status = outcome)),
        -- only a funded escrow is released, and a release always posts.
        CHECK (outcome IS DISTINCT FROM 'released' OR (funded_minor = expected_minor AND settlement_entry_id IS NOT NULL)),
        CHECK (outcome IS NOT NULL OR settlement_entry_id IS NULL)
      );
      CREATE INDEX escrows_buyer ON escrows (buyer_org_id, created_at DESC);
      CREATE INDEX escrows_seller ON escrows (seller_org_id, created_at DESC);

      CREATE FUNCTION escrows_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          RAISE EXCEPTION 'escrows are never deleted' USING ERRCODE = 'restrict_violation';
        END IF;
        IF (NEW.deal_id, NEW.buyer_org_id, NEW.seller_org_id, NEW.broker_org_id, NEW.currency, NEW.expected_minor, NEW.broker_fee_bps,
            NEW.platform_fee_bps, NEW.funding_reference, NEW.escrow_account_id, NEW.created_at)
           IS DISTINCT FROM
           (OLD.deal_id, OLD.buyer_org_id, OLD.seller_org_id, OLD.broker_org_id, OLD.currency, OLD.expected_minor, OLD.broker_fee_bps,
            OLD.platform_fee_bps, OLD.funding_reference, OLD.escrow_account_id, OLD.created_at) THEN
          RAISE EXCEPTION 'escrow %: its terms never change', OLD.deal_id USING ERRCODE = 'restrict_violation';
        END IF;
        IF NEW.funded_minor < OLD.funded_minor OR NEW.excess_minor < OLD.excess_minor THEN
          RAISE EXCEPTION 'escrow %: what it received never shrinks', OLD.deal_id USING ERRCODE = 'restrict_violation';
        END IF;
        IF OLD.outcome IS NOT NULL AND (NEW.outcome, NEW.settled_at, NEW.settlement_entry_id, NEW.funded_minor)
             IS DISTINCT FROM (OLD.outcome, OLD.settled_at, OLD.settlement_entry_id, OLD.funded_minor) THEN
          RAISE EXCEPTION 'escrow %: settled (%) once and for all', OLD.deal_id, OLD.outcome USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER escrows_guard BEFORE UPDATE OR DELETE ON escrows FOR EACH ROW EXECUTE FUNCTION escrows_guard();
      CREATE TRIGGER escrows_no_truncate BEFORE TRUNCATE ON escrows FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

      -- What was posted for a deal, once per operation key: 'fund:<source>:<external id>',
      -- 'release', 'refund'. A retry finds its row and answers it instead of posting again.
      CREATE TABLE escrow_operations (
        id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        deal_id          uuid NOT NULL REFERENCES escrows (deal_id),
        operation        text NOT NULL CHECK (length(operation) BETWEEN 1 AND 200),
        kind             text NOT NULL CHECK (kind IN ('fund', 'release', 'refund')),
        -- fundings: how the money came (bank statement line, finance's confirmation, Stripe) and the source's id of it.
        source           text CHECK (source IN ('bank', 'manual', 'stripe')),
        external_id      text CHECK (length(external_id) BETWEEN 1 AND 128),
        -- fund: what was received; release and refund: what left the escrow account.
        amount_minor     bigint NOT NULL CHECK (amount_minor BETWEEN 0 AND 1000000000000000),
        -- fund: the part that went into escrow and the part credited back to the buyer.
        to_escrow_minor  bigint NOT NULL DEFAULT 0 CHECK (to_escrow_minor >= 0),
        excess_minor     bigint NOT NULL DEFAULT 0 CHECK (excess_minor >= 0),
        -- NULL only for the refund of an escrow that held nothing (nothing to post).
        entry_id         bigint UNIQUE REFERENCES journal_entries (id),
        -- release: the split (seller, broker, platform) in minor units.
        details          jsonb NOT NULL DEFAULT '{}',
        actor            text NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
        created_at       timestamptz NOT NULL,
        UNIQUE (deal_id, operation),
        CHECK ((kind = 'fund') = (source IS NOT NULL AND external_id IS NOT NULL)),
        CHECK (operation = CASE kind WHEN 'fund' THEN 'fund:' || source || ':' || external_id ELSE kind END),
        CHECK (kind <> 'fund' OR (amount_minor > 0 AND to_escrow_minor + excess_minor = amount_minor)),
        CHECK (kind = 'fund' OR (to_escrow_minor = 0 AND excess_minor = 0)),
        CHECK (entry_id IS NOT NULL OR (kind = 'refund' AND amount_minor = 0))
      );
      -- Release and refund exclude each other: one settlement per deal, whoever writes.
      CREATE UNIQUE INDEX escrow_operations_one_settlement ON escrow_operations (deal_id) WHERE kind IN ('release', 'refund');
      CREATE TRIGGER escrow_operations_append_only BEFORE UPDATE OR DELETE ON escrow_operations FOR EACH ROW EXECUTE FUNCTION refuse_change();
      CREATE TRIGGER escrow_operations_no_truncate BEFORE TRUNCATE ON escrow_operations FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

      -- One upload of a bank statement (CSV) of one of the platform's bank accounts.
      CREATE TABLE bank_statement_imports (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        -- the platform's bank account the statement is of (its lines' bank references are unique within it).
        bank_account  text NOT NULL CHECK (bank_account ~ '^[A-Za-z0-9_-]{1,24}$'),
        file_sha256   text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
        file_name     text CHECK (length(file_name) <= 255),
        line_count    integer NOT NULL CHECK (line_count >= 0),
        -- how many lines had each outcome.
        summary       jsonb NOT NULL,
        imported_by   text NOT NULL CHECK (length(imported_by) BETWEEN 1 AND 200),
        imported_at   timestamptz NOT NULL
      );
      CREATE INDEX bank_statement_imports_recent ON bank_statement_imports (imported_at DESC);

      -- Every line of every import, with what became of it.
      CREATE TABLE bank_statement_lines (
        id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        import_id          uuid NOT NULL REFERENCES bank_statement_imports (id),
        bank_account       text NOT NULL,
        -- the line number in the file (the header is line 1).
        line_no            integer NOT NULL CHECK (line_no >= 2),
        booked_on          date NOT NULL,
        -- signed: negative for money going out.
        amount_minor       bigint NOT NULL,
        currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        reference          text NOT NULL,
        counterparty       text,
        -- the bank's own id of the line.
        bank_reference     text CHECK (length(bank_reference) BETWEEN 1 AND 96),
        -- matched: completes the deal's price; partial: leaves some outstanding; over: beyond it
        -- (the excess is the buyer's to get back); duplicate: imported (or confirmed by finance)
        -- before, nothing posted; the others are reported and not posted.
        outcome            text NOT NULL CHECK (outcome IN ('matched', 'partial', 'over', 'unknown_reference', 'currency_mismatch', 'duplicate', 'not_a_credit')),
        -- the funding reference found in the line's text, if any.
        funding_reference  text,
        deal_id            uuid REFERENCES escrows (deal_id),
        entry_id           bigint REFERENCES journal_entries (id),
        outstanding_minor  bigint CHECK (outstanding_minor > 0),
        excess_minor       bigint CHECK (excess_minor > 0),
        UNIQUE (import_id, line_no),
        CHECK ((outcome IN ('matched', 'partial', 'over')) = (entry_id IS NOT NULL)),
        CHECK (outcome NOT IN ('matched', 'partial', 'over', 'currency_mismatch') OR deal_id IS NOT NULL),
        CHECK ((outcome = 'partial') = (outstanding_minor IS NOT NULL)),
        CHECK ((outcome = 'over') = (excess_minor IS NOT NULL))
      );
      -- A line of the bank is taken once: a later import skips it (recorded as a duplicate).
      CREATE UNIQUE INDEX bank_statement_lines_once ON bank_statement_lines (bank_account, bank_reference)
        WHERE bank_reference IS NOT NULL AND outcome <> 'duplicate';
      CREATE INDEX bank_statement_lines_deal ON bank_statement_lines (deal_id) WHERE deal_id IS NOT NULL;
      CREATE TRIGGER bank_statement_imports_append_only BEFORE UPDATE OR DELETE ON bank_statement_imports FOR EACH ROW EXECUTE FUNCTION refuse_change();
      CREATE TRIGGER bank_statement_imports_no_truncate BEFORE TRUNCATE ON bank_statement_imports FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
      CREATE TRIGGER bank_statement_lines_append_only BEFORE UPDATE OR DELETE ON bank_statement_lines FOR EACH ROW EXECUTE FUNCTION refuse_change();
      CREATE TRIGGER bank_statement_lines_no_truncate BEFORE TRUNCATE ON bank_statement_lines FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

      -- Money to send to an organisation (from its payable or commission account). Issuing it
      -- moves the amount to the platform's payouts-in-transit clearing account; finance sends
      -- the wire and confirms, which moves it out of cash.
      CREATE TABLE payout_instructions (
        id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        -- the caller's key: a retry answers the instruction made the first time.
        idempotency_key       text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 150),
        org_id                uuid NOT NULL REFERENCES organisations (id),
        currency              text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        amount_minor          bigint NOT NULL CHECK (amount_minor BETWEEN 1 AND 1000000000000000),
        -- which of the organisation's accounts pays it.
        from_purpose          text NOT NULL CHECK (from_purpose IN ('payable', 'commission')),
        from_account_id       uuid NOT NULL REFERENCES ledger_accounts (id),
        status                text NOT NULL CHECK (status IN ('pending', 'confirmed')),
        instruction_entry_id  bigint NOT NULL UNIQUE REFERENCES journal_entries (id),
        confirm_entry_id      bigint UNIQUE REFERENCES journal_entries (id),
        -- the bank's reference of the outgoing wire, as finance gives it.
        bank_reference        text CHECK (length(bank_reference) BETWEEN 1 AND 200),
        created_by            text NOT NULL,
        created_at            timestamptz NOT NULL,
        confirmed_by          text,
        confirmed_at          timestamptz,
        CHECK ((status = 'confirmed') = (confirm_entry_id IS NOT NULL)),
        CHECK ((status = 'confirmed') = (confirmed_at IS NOT NULL AND confirmed_by IS NOT NULL))
      );
      CREATE INDEX payout_instructions_pending ON payout_instructions (created_at, id) WHERE status = 'pending';
      CREATE INDEX payout_instructions_org ON payout_instructions (org_id, created_at DESC);

      CREATE FUNCTION payout_instructions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND OLD.status = 'pending' AND NEW.status = 'confirmed'
           AND (NEW.id, NEW.idempotency_key, NEW.org_id, NEW.currency, NEW.amount_minor, NEW.from_purpose, NEW.from_account_id,
                NEW.instruction_entry_id, NEW.created_by, NEW.created_at)
               IS NOT DISTINCT FROM
               (OLD.id, OLD.idempotency_key, OLD.org_id, OLD.currency, OLD.amount_minor, OLD.from_purpose, OLD.from_account_id,
                OLD.instruction_entry_id, OLD.created_by, OLD.created_at) THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'payout_instructions: only pending -> confirmed, once (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
      END $$;
      CREATE TRIGGER payout_instructions_guard BEFORE UPDATE OR DELETE ON payout_instructions FOR EACH ROW EXECUTE FUNCTION payout_instructions_guard();
      CREATE TRIGGER payout_instructions_no_truncate BEFORE TRUNCATE ON payout_instructions FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE payout_instructions, bank_statement_lines, bank_statement_imports, escrow_operations, escrows;
      DROP FUNCTION payout_instructions_guard(), escrows_guard();
    `);
  }
}
