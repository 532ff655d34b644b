import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The Stripe payment provider and reconciliation (issue 5):
 *
 * - `stripe_requests`: our own record of every call that creates something at Stripe, keyed
 *   by (deal or payout, operation). It is written and committed before the call, so that a
 *   crash between Stripe's answer and our commit leaves a row "in doubt" that the retry sends
 *   again with the same Idempotency-Key (Stripe answers the first result) or, after Stripe
 *   forgot the key (24 hours), looks the object up by its metadata before creating anything.
 * - `stripe_connected_accounts`: where an organisation's money goes (Stripe Connect).
 * - payout instructions gain how they are paid: by finance (manual), by a Stripe transfer to
 *   the organisation's connected account, or by a Stripe refund of the buyer's payment; and
 *   the provider's reference once paid. How a payout is paid never changes.
 * - escrows gain a freeze (a dispute at Stripe): a frozen escrow is not released.
 * - `stripe_disputes`: each dispute once, with the entries of its withdrawal and reinstatement.
 * - `provider_movements`: which ledger entry records each movement of money at a provider
 *   (a Stripe balance transaction's source, a bank statement line), for the reconciliation
 *   report: a provider record without a movement is missing in the ledger, and so on.
 *
 * Hand-written SQL, reviewed; never generated.
 */
export class StripeProvider1764400011000 implements MigrationInterface {
  name = 'StripeProvider1764400011000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE stripe_requests (
        -- what the call is for, e.g. 'payout:<uuid>' or 'deal:<uuid>:payment_intent'.
        operation_key    text PRIMARY KEY CHECK (length(operation_key) BETWEEN 1 AND 200),
        -- sent as Idempotency-Key (Stripe's limit is 255).
        idempotency_key  text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 255),
        kind             text NOT NULL CHECK (kind IN ('payment_intent', 'transfer', 'refund')),
        deal_id          uuid,
        params           jsonb NOT NULL,
        -- in_doubt: sent (or about to be) without a known answer; done: Stripe made object_id;
        -- failed: Stripe refused it for good (the error is kept).
        status           text NOT NULL CHECK (status IN ('in_doubt', 'done', 'failed')),
        attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        object_id        text CHECK (object_id ~ '^[a-z]{2,5}_[A-Za-z0-9]{1,250}$'),
        response         jsonb,
        error            jsonb,
        created_at       timestamptz NOT NULL,
        updated_at       timestamptz NOT NULL,
        CHECK ((status = 'done') = (object_id IS NOT NULL AND response IS NOT NULL)),
        CHECK ((status = 'failed') = (error IS NOT NULL))
      );
      CREATE INDEX stripe_requests_in_doubt ON stripe_requests (updated_at) WHERE status = 'in_doubt';
      CREATE INDEX stripe_requests_deal ON stripe_requests (deal_id) WHERE deal_id IS NOT NULL;
      CREATE UNIQUE INDEX stripe_requests_object ON stripe_requests (object_id) WHERE object_id IS NOT NULL;

      CREATE FUNCTION stripe_requests_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND OLD.status = 'in_doubt'
           AND (NEW.operation_key, NEW.idempotency_key, NEW.kind, NEW.deal_id, NEW.params, NEW.created_at)
               IS NOT DISTINCT FROM (OLD.operation_key, OLD.idempotency_key, OLD.kind, OLD.deal_id, OLD.params, OLD.created_at) THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'stripe_requests: only an in-doubt request changes, and only its outcome (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
      END $$;
      CREATE TRIGGER stripe_requests_guard BEFORE UPDATE OR DELETE ON stripe_requests FOR EACH ROW EXECUTE FUNCTION stripe_requests_guard();
      CREATE TRIGGER stripe_requests_no_truncate BEFORE TRUNCATE ON stripe_requests FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

      CREATE TABLE stripe_connected_accounts (
        org_id       uuid PRIMARY KEY REFERENCES organisations (id),
        account_id   text NOT NULL UNIQUE CHECK (account_id ~ '^acct_[A-Za-z0-9]{1,250}$'),
        updated_by   text NOT NULL CHECK (length(updated_by) BETWEEN 1 AND 200),
        updated_at   timestamptz NOT NULL
      );

      ALTER TABLE payout_instructions
        ADD COLUMN method text NOT NULL DEFAULT 'manual' CHECK (method IN ('manual', 'stripe_transfer', 'stripe_refund')),
        -- a Stripe transfer's connected account, or the PaymentIntent a Stripe refund gives back.
        ADD COLUMN destination text CHECK (destination ~ '^(acct|pi)_[A-Za-z0-9]{1,250}$'),
        -- the deal the payout settles, when there is one (the transfer_group at Stripe).
        ADD COLUMN deal_id uuid REFERENCES escrows (deal_id),
        -- the provider's id of the payment once made (tr_..., re_...).
        ADD COLUMN provider_reference text CHECK (length(provider_reference) BETWEEN 1 AND 255),
        -- a payout the provider refused for good: its amount went back to the account it came from.
        ADD COLUMN failure text CHECK (length(failure) BETWEEN 1 AND 1000),
        ADD COLUMN failure_entry_id bigint UNIQUE REFERENCES journal_entries (id),
        DROP CONSTRAINT payout_instructions_status_check,
        ADD CONSTRAINT payout_instructions_status_check CHECK (status IN ('pending', 'confirmed', 'failed')),
        ADD CONSTRAINT payout_instructions_failed CHECK ((status = 'failed') = (failure IS NOT NULL AND failure_entry_id IS NOT NULL)),
        ADD CONSTRAINT payout_instructions_destination CHECK (
          (method = 'manual' AND destination IS NULL)
          OR (method = 'stripe_transfer' AND destination LIKE 'acct\\_%')
          OR (method = 'stripe_refund' AND destination LIKE 'pi\\_%' AND deal_id IS NOT NULL)),
        ADD CONSTRAINT payout_instructions_stripe_reference CHECK (
          method = 'manual' OR (status = 'confirmed') = (provider_reference IS NOT NULL));
      CREATE UNIQUE INDEX payout_instructions_provider_reference ON payout_instructions (provider_reference) WHERE method <> 'manual';
      CREATE INDEX payout_instructions_stripe_pending ON payout_instructions (created_at, id) WHERE status = 'pending' AND method <> 'manual';

      CREATE OR REPLACE FUNCTION payout_instructions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND OLD.status = 'pending' AND NEW.status IN ('confirmed', 'failed')
           AND (NEW.id, NEW.idempotency_key, NEW.org_id, NEW.currency, NEW.amount_minor, NEW.from_purpose, NEW.from_account_id,
                NEW.instruction_entry_id, NEW.created_by, NEW.created_at, NEW.method, NEW.destination, NEW.deal_id)
               IS NOT DISTINCT FROM
               (OLD.id, OLD.idempotency_key, OLD.org_id, OLD.currency, OLD.amount_minor, OLD.from_purpose, OLD.from_account_id,
                OLD.instruction_entry_id, OLD.created_by, OLD.created_at, OLD.method, OLD.destination, OLD.deal_id) THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'payout_instructions: only pending -> confirmed or failed, once (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
      END $$;

      ALTER TABLE escrows
        ADD COLUMN frozen_reason text CHECK (length(frozen_reason) BETWEEN 1 AND 200),
        ADD COLUMN frozen_at timestamptz,
        ADD CONSTRAINT escrows_frozen CHECK ((frozen_reason IS NULL) = (frozen_at IS NULL));

      CREATE TABLE stripe_disputes (
        id                   text PRIMARY KEY CHECK (id ~ '^(dp|du)_[A-Za-z0-9]{1,250}$'),
        charge_id            text NOT NULL,
        payment_intent_id    text,
        deal_id              uuid REFERENCES escrows (deal_id),
        currency             text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        amount_minor         bigint NOT NULL CHECK (amount_minor BETWEEN 1 AND 1000000000000000),
        -- Stripe's status (needs_response, under_review, won, lost, ...), as last seen.
        status               text NOT NULL CHECK (length(status) BETWEEN 1 AND 50),
        closed               boolean NOT NULL,
        -- Stripe withdrew the amount from the platform's balance when the dispute opened...
        withdrawn_entry_id   bigint UNIQUE REFERENCES journal_entries (id),
        -- ...and gives it back when the platform wins.
        reinstated_entry_id  bigint UNIQUE REFERENCES journal_entries (id),
        created_at           timestamptz NOT NULL,
        updated_at           timestamptz NOT NULL,
        CHECK (reinstated_entry_id IS NULL OR (withdrawn_entry_id IS NOT NULL AND status = 'won'))
      );
      CREATE INDEX stripe_disputes_deal ON stripe_disputes (deal_id) WHERE deal_id IS NOT NULL;
      -- webhooks find the deal of a payment by its provider id.
      CREATE INDEX escrow_operations_funding_external ON escrow_operations (source, external_id) WHERE kind = 'fund';

      CREATE TABLE provider_movements (
        provider      text NOT NULL CHECK (provider IN ('stripe', 'bank')),
        -- Stripe: the balance transaction's source (ch_, tr_, re_, dp_, trr_ ...); bank: '<account>:<bank reference>'.
        external_id   text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 300),
        entry_id      bigint NOT NULL REFERENCES journal_entries (id),
        currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        -- signed as the provider signs it: positive into the platform's balance, negative out.
        amount_minor  bigint NOT NULL CHECK (amount_minor <> 0),
        occurred_at   timestamptz NOT NULL,
        PRIMARY KEY (provider, external_id)
      );
      CREATE INDEX provider_movements_time ON provider_movements (provider, occurred_at);
      CREATE TRIGGER provider_movements_append_only BEFORE UPDATE OR DELETE ON provider_movements FOR EACH ROW EXECUTE FUNCTION refuse_change();
      CREATE TRIGGER provider_movements_no_truncate BEFORE TRUNCATE ON provider_movements FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX escrow_operations_funding_external;
      DROP TABLE provider_movements, stripe_disputes, stripe_connected_accounts, stripe_requests;
      DROP FUNCTION stripe_requests_guard();
      ALTER TABLE escrows DROP CONSTRAINT escrows_frozen, DROP COLUMN frozen_at, DROP COLUMN frozen_reason;
      DROP INDEX payout_instructions_stripe_pending, payout_instructions_provider_reference;
      ALTER TABLE payout_instructions DROP CONSTRAINT payout_instructions_stripe_reference, DROP CONSTRAINT payout_instructions_destination,
        DROP CONSTRAINT payout_instructions_failed, DROP CONSTRAINT payout_instructions_status_check,
        ADD CONSTRAINT payout_instructions_status_check CHECK (status IN ('pending', 'confirmed')),
        DROP COLUMN failure_entry_id, DROP COLUMN failure, DROP COLUMN provider_reference, DROP COLUMN deal_id, DROP COLUMN destination, DROP COLUMN method;
      CREATE OR REPLACE FUNCTION payout_instructions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
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
    `);
  }
}
